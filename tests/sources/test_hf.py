"""Hugging Face reader offline (HF_HUB_OFFLINE=1): local jsonl and parquet files, folders, streaming."""

from __future__ import annotations

import json
import os

import pytest
from pyspark.sql import functions as F

from byod.columns import ID, REJECT_REASON, SOURCE, TEXT
from byod.errors import InputError
from byod.sources.hf import HF_EMPTY_TEXT, HF_MISSING_TEXT, ROW, export_parquet, load_hf_dataset, read_hf


@pytest.fixture()
def local_jsonl(tmp_path):
    path = tmp_path / "data" / "train.jsonl"
    path.parent.mkdir()
    rows = [{"text": f"Document number {i} about rivers.", "lang": "en"} for i in range(23)]
    rows[5]["text"] = None
    rows[9]["text"] = "   "
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_offline_env():
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_read_hf_from_local_jsonl(spark, local_jsonl, tmp_path):
    df = read_hf(spark, str(local_jsonl), work_dir=str(tmp_path / "work"), metadata_columns=("lang",), rows_per_file=10)
    assert df.count() == 23
    counts = dict(df.groupBy(REJECT_REASON).count().collect())
    assert counts == {None: 21, HF_MISSING_TEXT: 1, HF_EMPTY_TEXT: 1}
    assert df.select(SOURCE).distinct().collect()[0][0] == "train.jsonl"
    assert df.select(F.countDistinct(ID)).first()[0] == 23
    (folder,) = list((tmp_path / "work").iterdir())
    assert sorted(p.name for p in folder.iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    again = read_hf(spark, str(local_jsonl), work_dir=str(tmp_path / "work"), metadata_columns=("lang",))
    assert sorted(r[ID] for r in again.collect()) == sorted(r[ID] for r in df.collect())


def test_read_hf_local_folder_and_streaming(spark, local_jsonl, tmp_path):
    folder = read_hf(spark, str(local_jsonl.parent), work_dir=str(tmp_path / "w1"), source="hf")
    assert folder.filter(F.col(REJECT_REASON).isNull()).count() == 21
    streamed = read_hf(spark, str(local_jsonl), work_dir=str(tmp_path / "w2"), streaming=True)
    assert streamed.filter(F.col(TEXT).contains("number 22")).count() == 1


def test_export_parquet_row_numbers(tmp_path, local_jsonl):
    import pyarrow.parquet as pq

    dataset = load_hf_dataset(str(local_jsonl), split="train")
    assert export_parquet(dataset, str(tmp_path / "out"), rows_per_file=1000, batch_rows=7) == 23
    table = pq.read_table(tmp_path / "out")
    assert table.column(ROW).to_pylist() == list(range(23))


def test_hub_name_offline_and_bad_inputs(tmp_path):
    with pytest.raises(Exception) as info:  # the hub path is real: offline it must fail, not hang
        load_hf_dataset("byod-test/no-such-dataset", split="train")
    assert "offline" in str(info.value).lower() or isinstance(info.value, (InputError, ConnectionError))
    with pytest.raises(InputError, match="matches no local file"):
        load_hf_dataset(str(tmp_path / "*.jsonl"), split="train")
    odd = tmp_path / "x.weird"
    odd.write_text("x")
    with pytest.raises(InputError, match="cannot tell the format"):
        load_hf_dataset(str(odd), split="train")
