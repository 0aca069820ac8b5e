"""RuleFilter and EditFilter (byod/stages/rules.py): the README's examples, masking of rows already out,
schema checks, ``sources=``, score columns, edits, and every built-in text filter on one of the bases."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from byod.columns import DROP_REASON, DROP_STAGE, ID, REJECT_REASON, SOURCE, TEXT
from byod.errors import SchemaError
from byod.pipeline import Pipeline
from byod.stages import (
    ArxivLatexClean,
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    LanguageFilter,
    Normalize,
)
from byod.stages.rules import EditFilter, RuleFilter

REPO = Path(__file__).resolve().parents[2]

#: The README's "How to add a stage" section: its examples run here exactly as a reader copies them.
README_SECTION = (lambda text: text[text.index("## How to add a stage"):text.index("## How to add a job")])(
    (REPO / "README.md").read_text(encoding="utf-8"))
RULE_EXAMPLE = next(b for b in re.findall(r"```python\n(.*?)```", README_SECTION, re.S) if "(RuleFilter)" in b)

BOOM = "BOOM: a rule must never see this text"


@dataclass(frozen=True, kw_only=True)
class Exploding(RuleFilter):
    """Fails the Spark job if the base hands it a row it should have masked."""

    def reason(self, text: str) -> str | None:
        if text == BOOM:
            raise RuntimeError("a masked row reached the rule")
        return "toy.short" if len(text.split()) < 3 else None


@dataclass(frozen=True, kw_only=True)
class Shout(EditFilter):
    """Upper-cases a text; drops it (as ``toy.empty``) when it is blank; explodes on BOOM."""

    def edit(self, text: str) -> tuple[str | None, str | None]:
        if text == BOOM:
            raise RuntimeError("a masked row reached the edit")
        return (text.upper(), None) if text.strip() else (None, "toy.empty")


@dataclass(frozen=True, kw_only=True)
class Length(RuleFilter):
    """Keeps the length as a score column; drops texts over ``max_chars``."""

    score_columns = (("length_chars", "int"), ("length_kind", "string"))
    max_chars: int = 10

    def measure(self, text: str) -> tuple[str | None, int, str]:
        if text == BOOM:
            raise RuntimeError("a masked row reached the rule")
        return ("toy.long" if len(text) > self.max_chars else None), len(text), "chars"

    def reason(self, text: str) -> str | None:
        return self.measure(text)[0]


def _exec(source: str) -> dict:
    namespace: dict = {"__name__": "byod_readme_example"}
    # dont_inherit: compile the text as a file of its own, without this module's ``from __future__`` flags.
    exec(compile(source, "<README example>", "exec", dont_inherit=True), namespace)  # noqa: S102 - our README
    return namespace


def _frame(spark, rows):
    return spark.createDataFrame(rows, f"{ID} string, {TEXT} string, {SOURCE} string, "
                                       f"{REJECT_REASON} string, {DROP_REASON} string")


def test_readme_rule_filter_example_runs_alone_and_in_a_pipeline(spark) -> None:
    example = _exec(RULE_EXAMPLE)
    stage, code = example["ShoutingFilter"](), example["SHOUTING"]
    df = _frame(spark, [("a", "A QUIET PAGE? NO, A LOUD ONE.", "web", None, None),
                        ("b", "A normal page, in normal case.", "web", None, None),
                        ("c", "12345 !!!", "web", None, None)])
    assert sorted(r[ID] for r in df.transform(stage).collect()) == ["b", "c"]
    annotated = {r[ID]: r for r in Pipeline([stage]).annotate(df).collect()}
    assert (annotated["a"][DROP_REASON], annotated["a"][DROP_STAGE]) == (code, "ShoutingFilter")
    assert annotated["b"][DROP_REASON] is None and annotated["c"][DROP_REASON] is None
    only_arxiv = example["ShoutingFilter"](sources=["arxiv"])
    assert df.transform(only_arxiv).count() == 3


def test_readme_annotate_example_still_runs(spark) -> None:
    block = next(b for b in re.findall(r"```python\n(.*?)```", README_SECTION, re.S) if "def annotate(" in b)
    example = _exec(block)
    stage_class = next(v for k, v in example.items() if isinstance(v, type) and k.endswith("Filter")
                       and k != "Filter")
    stage = stage_class(max_urls=1)
    df = _frame(spark, [("a", "see http://a.example and https://b.example", "web", None, None),
                        ("b", "see http://a.example only", "web", None, None)])
    assert [r[ID] for r in df.transform(stage).collect()] == ["b"]
    assert [r[ID] for r in Pipeline([stage])(df).collect()] == ["b"]


def test_rows_already_out_are_neither_scored_nor_edited(spark) -> None:
    df = _frame(spark, [("a", "two words", "web", None, None), ("b", BOOM, "web", "jsonl.bad_json", None),
                        ("c", BOOM, "web", None, "gopher.short_doc"), ("d", "three words here", "web", None, None)])
    rows = {r[ID]: r for r in df.transform(Exploding(keep_all=True)).collect()}
    assert [rows[i][DROP_REASON] for i in "abcd"] == ["toy.short", None, "gopher.short_doc", None]
    rows = {r[ID]: r for r in Shout(keep_all=True).fold(df).collect()}
    assert [rows[i][TEXT] for i in "abcd"] == ["TWO WORDS", BOOM, BOOM, "THREE WORDS HERE"]
    assert rows["c"][DROP_STAGE] is None  # the earlier stage's reason stays, and the stage is not renamed
    rows = {r[ID]: r for r in Length(keep_all=True).fold(df).collect()}
    assert [rows[i]["length_chars"] for i in "abcd"] == [9, None, None, 16]
    assert [rows[i][DROP_REASON] for i in "abcd"] == [None, None, "gopher.short_doc", "toy.long"]


def test_sources_restrict_rules_edits_and_score_columns(spark) -> None:
    df = _frame(spark, [("a", "one", "web", None, None), ("b", BOOM, "arxiv", None, None),
                        ("c", " ", "web", None, None), ("d", "x", None, None, None)])
    rows = {r[ID]: r for r in Exploding(sources=["web"], keep_all=True)(df).collect()}
    assert [rows[i][DROP_REASON] for i in "abcd"] == ["toy.short", None, "toy.short", None]
    rows = {r[ID]: r for r in Shout(sources=("web",), keep_all=True)(df).collect()}
    assert [rows[i][TEXT] for i in "abcd"] == ["ONE", BOOM, " ", "x"]
    assert [rows[i][DROP_REASON] for i in "abcd"] == [None, None, "toy.empty", None]
    rows = {r[ID]: r for r in Length(sources=["web"], max_chars=0, keep_all=True)(df).collect()}
    assert [(rows[i]["length_chars"], rows[i]["length_kind"]) for i in "abcd"] == [
        (3, "chars"), (None, None), (1, "chars"), (None, None)]


def test_edit_filter_keeps_the_text_of_dropped_rows_and_honours_text_column(spark) -> None:
    df = spark.createDataFrame([("1", "\\section{A}\nBody.", "no sections"), ("2", "no sections", "x")],
                               f"{ID} string, latex string, {TEXT} string")
    rows = {r[ID]: r for r in ArxivLatexClean(text_column="latex", keep_all=True)(df).collect()}
    assert (rows["1"]["latex"], rows["1"][DROP_REASON], rows["1"][TEXT]) == ("\\section{A}\nBody.\n", None,
                                                                            "no sections")
    assert (rows["2"]["latex"], rows["2"][DROP_REASON]) == ("no sections", "latex.no_sections")


def test_schema_is_checked_before_any_spark_job(spark) -> None:
    no_text = spark.createDataFrame([("1", "web")], f"{ID} string, {SOURCE} string")
    for stage in (Exploding(), Shout(), Length()):
        with pytest.raises(SchemaError, match=r"needs column\(s\) \['text'\]"):
            stage(no_text)
    no_source = spark.createDataFrame([("1", "text")], f"{ID} string, {TEXT} string")
    with pytest.raises(SchemaError, match=r"Exploding needs column\(s\) \['source'\]"):
        Exploding(sources=["web"])(no_source)
    with pytest.raises(SchemaError, match=r"Length writes \['length_chars'\]"):
        Length()(no_source.withColumn("length_chars", no_source[ID]))


def test_pure_rules_run_without_spark() -> None:
    assert Exploding().reason("too short") == "toy.short"
    assert Shout().edit("hi") == ("HI", None) and Shout().edit("  ")[1] == "toy.empty"
    assert Length().measure("0123456789x") == ("toy.long", 11, "chars")


@pytest.mark.parametrize(
    ("stage_class", "base", "method"),
    [(Normalize, EditFilter, "edit"), (C4QualityFilter, EditFilter, "edit"), (ArxivLatexClean, EditFilter, "edit"),
     (GopherQualityFilter, RuleFilter, "reason"), (GopherRepetitionFilter, RuleFilter, "reason"),
     (FineWebQualityFilter, RuleFilter, "reason"), (LanguageFilter, RuleFilter, "measure")],
)
def test_every_text_filter_implements_one_method_on_a_base(stage_class, base, method) -> None:
    assert issubclass(stage_class, base)
    assert method in vars(stage_class)
    for plumbing in ("annotate", "annotate_in_scope", "fold", "__call__"):
        assert plumbing not in vars(stage_class), f"{stage_class.__name__} overrides {plumbing}"


def test_no_private_imports_between_stage_modules() -> None:
    offenders = []
    for path in sorted((REPO / "byod" / "stages").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("byod"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private or any(part.startswith("_") for part in node.module.split(".")):
                    offenders.append(f"{path.relative_to(REPO)}: from {node.module} import {private or '...'}")
    assert not offenders, offenders


def test_byod_stages_exports_stages_only() -> None:
    """``from byod.stages import X`` and a config's ``stage: X`` name stages; result types live beside them."""
    import byod.stages as stages
    from byod.stages.base import Stage

    assert stages.__all__ and all(issubclass(getattr(stages, name), Stage) for name in stages.__all__)
    assert "Dedup" in stages.__all__ and not {"WriteResult", "PackingStats", "ValidateMDS"} & set(stages.__all__)
