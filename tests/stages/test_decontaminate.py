"""Decontaminate: n-gram overlap per reason code, short eval items, ids, mark-only, determinism, Pipeline, bad input."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from byod.columns import DROP_REASON, ID, STAGE_REASON
from byod.errors import ConfigError
from byod.pipeline import Pipeline
from byod.stages.decontaminate import MATCHED_ITEMS, NGRAM_OVERLAP, Decontaminate

LONG_Q = "Which planet in our solar system is the largest by both mass and volume, and what is it made of?"
LONG_A = "Jupiter, a gas giant made mostly of hydrogen and helium."
SHORT_Q = "Name the capital city of France."  # 6 words: short, whole item as its own n-gram
SHORT_A = "Paris is the capital"
ITEMS = [{"qid": "astro-1", "question": LONG_Q, "answer": LONG_A},
         {"qid": "geo-7", "question": SHORT_Q, "answer": SHORT_A},
         {"qid": "tiny-3", "question": "yes", "answer": "no"}]


def write_jsonl(path, rows, blank_lines=False):
    with (gzip.open(path, "wt") if str(path).endswith(".gz") else open(path, "w")) as handle:
        for row in rows:
            handle.write(json.dumps(row) + ("\n\n" if blank_lines else "\n"))
    return str(path)


@pytest.fixture
def eval_file(tmp_path):
    return write_jsonl(tmp_path / "bench.jsonl", ITEMS)


@pytest.fixture(scope="module")
def real_docs(spark, corpora):
    """Real web pages that contain none of the eval texts."""
    return spark.read.json(str(corpora / "web_public.jsonl.gz")).limit(20).select(
        F.concat(F.lit("web"), F.xxhash64("url").cast("string")).alias(ID), "text")


def docs(spark, rows):
    return spark.createDataFrame(rows, "id string, text string")


CASES = [
    # (document text, expected reason, expected match)
    ("Forum post. " + LONG_Q.upper().replace(",", " ;") + " I think so.", NGRAM_OVERLAP, "astro-1"),
    # the n-gram spans question and answer (fields joined in order)
    ("it made of? Jupiter, a gas giant made mostly of hydrogen and helium. Bye", NGRAM_OVERLAP, "astro-1"),
    ("Quiz time: name the capital city of France; Paris is the capital! Next.", NGRAM_OVERLAP, "geo-7"),
    # 12 consecutive words of the long item only: no 13-gram
    ("largest by both mass and volume and what is it made of", None, None),
    # the 2-word item is below min_eval_words: ignored
    ("yes no", None, None),
    ("The capital of France is Paris.", None, None),
]


@pytest.mark.parametrize(("text", "reason", "match"), CASES)
def test_reason_and_match_per_case(spark, eval_file, text, reason, match):
    stage = Decontaminate(eval_paths=eval_file, text_field=("question", "answer"), id_field="qid", min_eval_words=8)
    row = stage.annotate(docs(spark, [("d1", text)])).collect()[0]
    assert (row[STAGE_REASON], row["decontam_match"]) == (reason, match)


def test_real_documents_are_kept_and_contaminated_one_dropped(spark, eval_file, real_docs):
    stage = Decontaminate(eval_paths=eval_file, text_field=("question", "answer"), id_field="qid")
    dirty = docs(spark, [("zz-dirty", "Copied from the benchmark: " + LONG_Q)])
    kept = stage(real_docs.unionByName(dirty))
    assert kept.count() == real_docs.count()
    assert kept.filter(F.col(ID) == "zz-dirty").count() == 0
    assert kept.filter(F.col("decontam_match").isNotNull()).count() == 0


def test_default_item_name_is_file_and_line_and_parquet_rows(spark, tmp_path):
    jsonl = write_jsonl(tmp_path / "a.jsonl.gz", [{"text": LONG_Q}, {"text": SHORT_Q + " " + SHORT_A}], blank_lines=True)
    parquet = tmp_path / "b.parquet"
    pq.write_table(pa.table({"text": ["unrelated words " * 10, LONG_A + " " + LONG_A]}), parquet)
    stage = Decontaminate(eval_paths=(jsonl, str(parquet)), n=8)
    rows = docs(spark, [("1", LONG_Q), ("2", SHORT_Q + " " + SHORT_A + " x"), ("3", "helium. " + LONG_A)])
    got = {r[ID]: r["decontam_match"] for r in stage.annotate(rows).collect()}
    assert got == {"1": "a.jsonl.gz:1", "2": "a.jsonl.gz:3", "3": "b.parquet:2"}


def test_mark_only_keeps_documents_and_lists_every_item(spark, eval_file):
    stage = Decontaminate(eval_paths=eval_file, text_field=("question", "answer"), id_field="qid", mark_only=True)
    text = LONG_Q + " Also: " + SHORT_Q + " " + SHORT_A
    out = stage(docs(spark, [("d", text), ("e", "clean text")])).orderBy(ID).collect()
    assert [r[ID] for r in out] == ["d", "e"]
    assert (out[0]["decontam_match"], list(out[0][MATCHED_ITEMS])) == ("astro-1", ["astro-1", "geo-7"])
    assert out[1]["decontam_match"] is None
    dropping = Decontaminate(eval_paths=eval_file, text_field=("question", "answer"), id_field="qid")
    kept = dropping(docs(spark, [("d", text), ("e", "clean text")]))
    assert [r[ID] for r in kept.collect()] == ["e"] and MATCHED_ITEMS not in kept.columns  # a working column


def test_rows_already_dropped_are_not_scored(spark, eval_file):
    stage = Decontaminate(eval_paths=eval_file, text_field=("question", "answer"), id_field="qid")
    df = docs(spark, [("d", LONG_Q)]).withColumn(DROP_REASON, F.lit("earlier.rule"))
    row = stage.annotate(df).collect()[0]
    assert (row[STAGE_REASON], row["decontam_match"]) == (None, None)


def test_same_output_for_any_partitioning_and_order(spark, eval_file, real_docs):
    stage = Decontaminate(eval_paths=eval_file, text_field=("question", "answer"), id_field="qid", keep_all=True)
    dirty = docs(spark, [("x1", LONG_Q), ("x2", SHORT_Q + " " + SHORT_A)])
    frame = real_docs.unionByName(dirty)
    first = stage(frame)
    assertDataFrameEqual(stage(frame.repartition(5)), first)
    assertDataFrameEqual(stage(frame.orderBy(F.col(ID).desc()).coalesce(1)), first)


def test_inside_a_pipeline_with_counts_and_stats(spark, eval_file, real_docs, tmp_path):
    stage = Decontaminate(eval_paths=eval_file, text_field=("question", "answer"), id_field="qid")
    frame = real_docs.unionByName(docs(spark, [("x1", LONG_Q), ("x2", LONG_Q + "!"), ("x3", SHORT_Q + " " + SHORT_A)]))
    frame = frame.withColumn("source", F.lit("web"))
    result = Pipeline([stage]).run(frame, work_dir=str(tmp_path / "work"))
    assert result.counts["totals"]["dropped"] == 3
    assert result.counts["stages"][0]["dropped_by_reason"] == {NGRAM_OVERLAP: 3}
    assert result.stage_details[0]["stats"] == {"documents_removed": 3, "documents_matched": 3,
                                                "eval_items_matched": 2, "eval_items": 3, "eval_items_used": 2}
    assert "decontam_match" in result.kept.columns and MATCHED_ITEMS not in result.kept.columns


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: {"eval_paths": str(p / "missing.jsonl")}, "does not exist"),
    (lambda p: {"eval_paths": write_jsonl(p / "empty.jsonl", [])}, "holds no record"),
    (lambda p: {"eval_paths": write_jsonl(p / "e.jsonl", ITEMS), "text_field": "prompt"}, "no field 'prompt'"),
    (lambda p: {"eval_paths": write_jsonl(p / "e.jsonl", ITEMS), "text_field": "question", "id_field": "uid"},
     "no field 'uid'"),
    (lambda p: {"eval_paths": str(p)}, "holds no .jsonl"),
    (lambda p: {"eval_paths": str((p / "e.csv").write_text("a") and p / "e.csv")}, "neither JSON lines"),
    (lambda p: {"eval_paths": str((p / "e.jsonl").write_text("{oops\n") and p / "e.jsonl")}, "line 1 is not JSON"),
    (lambda p: {"eval_paths": str((p / "e.jsonl").write_bytes(b"\xff\xfe\n") and p / "e.jsonl")}, "is not UTF-8"),
    (lambda p: {"eval_paths": write_jsonl(p / "e.jsonl", ITEMS), "text_field": "question", "n": 0}, "n must be"),
    (lambda p: {"eval_paths": write_jsonl(p / "e.jsonl", ITEMS), "text_field": "question", "min_eval_words": 20},
     "min_eval_words"),
    (lambda p: {"eval_paths": []}, "eval_paths must be"),
])
def test_bad_input_is_one_line_config_error_at_construction(tmp_path, setup, message):
    with pytest.raises(ConfigError, match=message) as error:  # no Spark session is touched here
        Decontaminate(**setup(tmp_path))
    assert "\n" not in str(error.value)


def test_empty_parquet_eval_set_is_an_error(tmp_path):
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), tmp_path / "e.parquet")
    with pytest.raises(ConfigError, match="holds no record"):
        Decontaminate(eval_paths=str(tmp_path / "e.parquet"))
