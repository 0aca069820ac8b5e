"""Pipeline and report: annotate, persist once, count by reason, quarantine, accounting, sources scope."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, ID, REJECT_REASON, STAGE_REASON, TEXT
from byod.errors import AccountingError, SchemaError
from byod.pipeline import Pipeline
from byod.report import RunReport, check_accounting
from byod.stages.base import Filter, Stage, live_condition, live_text

SHORT = "toy.short_doc"
DUP = "toy.duplicate"


@dataclass(frozen=True, kw_only=True)
class MinWords(Filter):
    min_words: int = 3

    def annotate(self, df: DataFrame) -> DataFrame:
        words = F.size(F.split(F.trim(live_text(df)), r"\s+"))
        return df.withColumn(STAGE_REASON, F.when(live_condition(df) & (words < self.min_words), F.lit(SHORT)))


@dataclass(frozen=True, kw_only=True)
class Upper(Stage):
    def __call__(self, df: DataFrame) -> DataFrame:
        return df.withColumn(TEXT, F.when(live_condition(df), F.upper(TEXT)).otherwise(F.col(TEXT)))


@dataclass(frozen=True, kw_only=True)
class TextDup(Filter):
    needs_materialized_input = True

    def annotate(self, df: DataFrame) -> DataFrame:
        w = Window.partitionBy(F.when(live_condition(df), F.col(TEXT))).orderBy(ID)
        rank = F.when(live_condition(df), F.row_number().over(w))
        return df.withColumn(STAGE_REASON, F.when(rank > 1, F.lit(DUP)))


@dataclass(frozen=True, kw_only=True)
class LosesRows(Stage):
    needs_materialized_input = True

    def __call__(self, df: DataFrame) -> DataFrame:
        return df.limit(1)


def _docs(spark):
    rows = [
        ("a", "one two three four", "web", None, None),
        ("b", "too short", "web", None, None),
        ("c", "one two three four", "web", None, None),
        ("d", "paper text with many words", "arxiv", None, None),
        ("e", "x", "arxiv", None, None),
        ("f", None, "web", "jsonl.bad_json", "file.jsonl:7"),
    ]
    return spark.createDataFrame(rows, "id string, text string, source string, reject_reason string, origin string")


def test_run_counts_every_document_once_and_quarantines_rejects(spark, tmp_path):
    report = RunReport(job="toy")
    pipeline = Pipeline([MinWords(), Upper(), TextDup()])
    result = pipeline.run(_docs(spark), work_dir=str(tmp_path / "work"), quarantine_dir=str(tmp_path / "q"),
                          report=report)
    kept = sorted((r.id, r.text) for r in result.kept.collect())
    assert kept == [("a", "ONE TWO THREE FOUR"), ("d", "PAPER TEXT WITH MANY WORDS")]
    assert set(result.kept.columns) == {"id", "text", "source"}
    counts = result.counts
    assert counts["totals"] == {"in": 6, "kept": 2, "dropped": 3, "rejected": 1}
    assert counts["dropped_by_reason"] == {SHORT: 2, DUP: 1}
    stages = {s["name"]: s for s in counts["stages"]}
    assert (stages["MinWords"]["in"], stages["MinWords"]["out"]) == (5, 3)
    assert (stages["TextDup"]["in"], stages["TextDup"]["out"]) == (3, 2)
    assert counts["sources"]["arxiv"]["dropped_by_reason"] == {SHORT: 1}
    quarantined = [json.loads(line) for f in (tmp_path / "q" / "web").glob("*.json") for line in f.open()]
    assert quarantined == [{"id": "f", "source": "web", "reject_reason": "jsonl.bad_json", "origin": "file.jsonl:7"}]
    steps = [t["step"] for t in report.timings]
    assert steps == ["step-00-before-TextDup", "stage-TextDup", "step-01-annotated"]
    written = report.write(str(tmp_path / "out"))
    assert json.loads((tmp_path / "out" / "report.json").read_text())["totals"] == written["totals"]


def test_transform_drops_and_filter_alone_drops_or_keeps_all(spark):
    docs = _docs(spark).filter(F.col(REJECT_REASON).isNull()).drop(REJECT_REASON, "origin")
    assert sorted(r.id for r in docs.transform(Pipeline([MinWords(), TextDup()])).collect()) == ["a", "d"]
    assert sorted(r.id for r in docs.transform(MinWords()).collect()) == ["a", "c", "d"]
    analysed = docs.transform(MinWords(keep_all=True))
    assert {r.id: r[DROP_REASON] for r in analysed.collect()} == {"a": None, "b": SHORT, "c": None,
                                                                 "d": None, "e": SHORT}


def test_sources_scope_applies_a_rule_to_some_sources_only(spark):
    docs = _docs(spark).filter(F.col(REJECT_REASON).isNull())
    kept = docs.transform(Pipeline([MinWords(sources=["web"]), Upper()]))
    assert sorted((r.id, r.text) for r in kept.collect()) == [
        ("a", "ONE TWO THREE FOUR"), ("c", "ONE TWO THREE FOUR"), ("d", "PAPER TEXT WITH MANY WORDS"), ("e", "X")]
    with pytest.raises(TypeError, match="sources must be a list"):
        MinWords(sources="web")


def test_a_stage_that_loses_rows_fails_the_accounting(spark, tmp_path):
    with pytest.raises(AccountingError, match="changed the number of documents"):
        Pipeline([MinWords(), LosesRows()]).run(_docs(spark), work_dir=str(tmp_path))


def test_pipeline_checks_inputs_and_names(spark):
    with pytest.raises(SchemaError, match="needs column"):
        Pipeline([MinWords()]).annotate(spark.createDataFrame([("x",)], "text string"))
    with pytest.raises(ValueError, match="unique"):
        Pipeline([MinWords(), MinWords()])
    with pytest.raises(TypeError):
        Pipeline([lambda df: df])
    from byod.stages.tokenize import Tokenize
    from byod.stages.write import WriteMDS

    for ender in (Tokenize(concat=False), WriteMDS(output="/nowhere")):
        with pytest.raises(TypeError, match=f"{type(ender).__name__} turns documents into samples and ends a run"):
            Pipeline([MinWords(), ender])


def test_check_accounting_catches_a_lost_document():
    good = {"totals": {"in": 3, "kept": 1, "dropped": 1, "rejected": 1}, "dropped_by_reason": {"x": 1},
            "rejected_by_reason": {"y": 1},
            "sources": {"s": {"in": 3, "kept": 1, "dropped": 1, "rejected": 1, "dropped_by_reason": {"x": 1},
                              "rejected_by_reason": {"y": 1}}}}
    check_accounting(good)
    bad = json.loads(json.dumps(good))
    bad["totals"]["kept"] = 0
    with pytest.raises(AccountingError, match="in=3"):
        check_accounting(bad)
    bad = json.loads(json.dumps(good))
    bad["sources"]["s"]["dropped_by_reason"] = {}
    with pytest.raises(AccountingError, match="dropped_by_reason"):
        check_accounting(bad)


def test_length_histograms_cover_input_and_kept_documents(spark, tmp_path):
    result = Pipeline([MinWords()]).run(_docs(spark), work_dir=str(tmp_path))
    hist = result.counts["length_histogram"]
    # input: 5 readable documents (lengths 18, 9, 18, 26, 1); kept: a, c, d
    assert hist["input"] == {"0": 1, "3": 1, "4": 3}
    assert hist["kept"] == {"4": 3}
