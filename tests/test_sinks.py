"""Sinks alone: the documents sink's dropped rows (none at all included) and the MDS sinks' shard settings."""

from __future__ import annotations

import json

import pytest

from byod.pipeline import Pipeline
from byod.sinks import DocumentsSink, FinetuneMDSSink, PretrainMDSSink
from byod.stages import C4QualityFilter
from byod.stages.write import ShardFormat, WriteMDS


def test_dropped_rows_carry_stage_and_reason_and_an_empty_set_is_written_too(spark, tmp_path):
    from byod import documents

    frame = documents(spark.createDataFrame([("one short line",), (" ".join(["A full sentence here."] * 5),)],
                                            "text string"))
    result = Pipeline([C4QualityFilter()]).run(frame, work_dir=str(tmp_path / "work"))
    sink = DocumentsSink(format="jsonl", dropped=True)
    written = sink.write_dropped(result.annotated, str(tmp_path / "dropped"), result.kept.columns)
    rows = [json.loads(line) for f in (tmp_path / "dropped").glob("part-*.json") for line in f.read_text().splitlines()]
    assert written["documents"] == len(rows) == result.counts["totals"]["dropped"] >= 1
    assert all(r["drop_stage"] == "C4QualityFilter" and r["drop_reason"].startswith("c4.") for r in rows)
    nothing = Pipeline([]).run(frame, work_dir=str(tmp_path / "work2"))
    empty = sink.write_dropped(nothing.annotated, str(tmp_path / "none"), nothing.kept.columns)
    assert empty["documents"] == 0  # a JSON folder with no rows still reads back (the schema is given)


def test_sinks_check_their_settings_before_spark():
    with pytest.raises(ValueError, match="dropped must be true or false"):
        DocumentsSink(dropped="yes")
    with pytest.raises(ValueError, match="write_tokens must be true or false"):
        FinetuneMDSSink(write_tokens="no")
    with pytest.raises(ValueError, match="columns cannot be set"):
        FinetuneMDSSink(shards=ShardFormat(columns={"text": "str"}))
    with pytest.raises(ValueError):
        ShardFormat(compression="lz4000")
    with pytest.raises(ValueError, match="size_limit"):
        ShardFormat(size_limit=0)
    shards = ShardFormat(compression=None, hashes=["sha1", "xxh64"])  # a YAML list
    writer = shards.writer("/tmp/x/train", columns={"text": "str"})
    assert isinstance(writer, WriteMDS) and writer.output == "/tmp/x/train" and not writer.overwrite
    assert writer.hashes == ("sha1", "xxh64") and writer.compression is None and writer.columns == {"text": "str"}
    assert PretrainMDSSink.__dataclass_fields__["shards"].default_factory().compression == "zstd"
