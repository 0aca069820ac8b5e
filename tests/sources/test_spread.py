"""A source read as one task (a .jsonl.gz, a folder of small whole files) is spread over partitions by
its size, not by the machine, and the spread depends only on document ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from byod.columns import ID
from byod.runner import run_job
from byod.sources import spread as spread_module
from byod.sources.spread import read_parts, spread, spread_to, text_bytes
from tests.golden.summary import _digest_samples
from tests.helpers.corpus import web_gzip

MIB = 1 << 20


def test_one_gzip_file_is_spread_by_its_text_size():
    files = [("web.jsonl.gz", 50 * MIB)]
    assert read_parts(files, whole_files=False) == 1
    assert text_bytes(files) == 200 * MIB
    assert spread_to(files) == 13  # 200 MiB of text in 16 MiB partitions


def test_inputs_already_read_in_enough_parts_are_left_alone():
    many_gz = [(f"part-{i}.jsonl.gz", 2 * MIB) for i in range(40)]  # 320 MiB of text in 40 tasks: 20 wanted
    assert spread_to(many_gz) is None
    big_plain = [("web.jsonl", 1024 * MIB)]  # Spark splits it in 8; 64 wanted
    assert read_parts(big_plain, whole_files=False) == 8 and spread_to(big_plain) == 64
    assert spread_to([("tiny.jsonl.gz", 10_000)]) is None
    assert spread_to([]) is None


def test_whole_file_sources_count_packed_splits_and_the_count_is_capped():
    papers = [(f"{i}.tex", 100_000) for i in range(2_000)]  # 200 MB in two 128 MiB splits
    assert read_parts(papers, whole_files=True) == 2 and spread_to(papers, whole_files=True) == 12
    assert spread_to([("huge.jsonl.gz", 100_000 * MIB)]) == spread_module.MAX_PARTITIONS


def test_spread_partitions_by_id_whatever_the_input_order(spark):
    rows = [(f"id-{i:03d}", f"text {i}") for i in range(300)]
    frame = spark.createDataFrame(rows, [ID, "text"]).coalesce(1)
    shuffled = spark.createDataFrame(list(reversed(rows)), [ID, "text"]).repartition(7)

    def placement(df):
        return sorted((r[ID], r["p"]) for r in spread(df, 5).withColumn("p", F.spark_partition_id()).collect())

    first = placement(frame)
    assert len({p for _, p in first}) == 5 and len(first) == 300
    assert first == placement(shuffled)
    assert spread(frame, None) is frame


@pytest.fixture(scope="module")
def one_gzip(tmp_path_factory, corpora) -> Path:
    folder = tmp_path_factory.mktemp("gz")
    web_gzip(corpora, folder / "web.jsonl.gz", 60)
    return folder


@pytest.mark.slow  # a whole job run or more: CI's slow step (keeps the default suite under 15 min)
def test_a_job_spreads_one_gzip_file_and_writes_the_same_samples_each_time(spark, tmp_path, one_gzip,
                                                                          tokenizer_dirs, monkeypatch):
    monkeypatch.setattr(spread_module, "TEXT_PER_PARTITION", 16 * 1024)  # this small file as a big one
    overrides = [f"sources=[{{name: web, format: c4, paths: ['{one_gzip}']}}]",
                 "stages=[{stage: Normalize}, {stage: GopherQualityFilter}]",
                 f"tokenize.tokenizer={tokenizer_dirs['llama3']}", "tokenize.max_seq_len=128"]
    first = run_job("c4_arxiv", overrides=[f"output={tmp_path / 'a'}", *overrides])
    wanted = first["run"]["inputs"][0]["spread_to"]
    assert wanted > 1
    again = run_job("c4_arxiv", overrides=[f"output={tmp_path / 'b'}", *overrides])
    assert first["totals"] == again["totals"] and first["output"]["samples"] == again["output"]["samples"] > 0
    assert _digest_samples(str(tmp_path / "a" / "mds")) == _digest_samples(str(tmp_path / "b" / "mds"))
