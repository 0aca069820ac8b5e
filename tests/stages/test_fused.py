"""Fused text filters: one Python pass gives exactly what the stages give one by one, on real pages."""

from __future__ import annotations

import pytest

from byod.columns import DROP_REASON, DROP_STAGE, ID, TEXT
from byod.pipeline import Pipeline
from byod.stages import (
    ArxivLatexClean,
    C4QualityFilter,
    Dedup,
    GopherQualityFilter,
    GopherRepetitionFilter,
    LanguageFilter,
    Normalize,
)
from byod.stages.fused import _apply_in_order, fusable, fused_runs
from tests.helpers.corpus import real_web_docs


@pytest.fixture(scope="module")
def pages(spark, corpora):
    """Real pages of two sources, and a few hand-made edge cases: empty text, a null text, a short line."""
    from byod import documents

    docs = real_web_docs(corpora)[:160]
    rows = [(d["text"], "a" if i % 2 else "b") for i, d in enumerate(docs)]
    rows += [("", "a"), (None, "b"), ("one line only", "a"), ("  Spaced\u00a0out\u200b text.  \n\n\n", "b")]
    return documents(spark.createDataFrame(rows, "text string, source string"))


STAGES = [
    Normalize(), C4QualityFilter(sources=["a"]), GopherRepetitionFilter(), GopherQualityFilter(sources=["b"]),
    Dedup(fuzzy=False), ArxivLatexClean(sources=["b"]), GopherQualityFilter(max_symbol_word_ratio=0.05,
                                                                            keep_all=True, sources=["a"]),
]


def test_runs_of_plain_text_filters_are_fused_and_everything_else_runs_alone():
    runs = fused_runs(STAGES)
    assert [[s.name for s in run] for run in runs] == [
        ["Normalize", "C4QualityFilter", "GopherRepetitionFilter", "GopherQualityFilter"], ["Dedup"],
        ["ArxivLatexClean", "GopherQualityFilter"]]
    assert not fusable(Dedup())  # its own annotate (joins, checkpoints)
    assert not fusable(LanguageFilter.__new__(LanguageFilter))  # keeps score columns beside its reason


def test_fused_pipeline_equals_the_stages_one_by_one(spark, pages):
    def rows(fuse: bool) -> list[tuple]:
        pipeline = Pipeline([s for s in STAGES if s.name != "GopherQualityFilter" or s.sources == ("b",)], fuse=fuse)
        annotated = pipeline.annotate(pages)
        return sorted((tuple(r) for r in annotated.select(ID, TEXT, DROP_REASON, DROP_STAGE).collect()),
                      key=lambda r: r[0])

    one_by_one, fused = rows(False), rows(True)
    assert fused == one_by_one
    reasons = {r[2] for r in fused if r[2]}
    stages = {r[3] for r in fused if r[3]}
    # the case is not trivial: every fused stage dropped something, and Normalize changed kept texts
    assert {"C4QualityFilter", "GopherRepetitionFilter", "GopherQualityFilter"} <= stages and len(reasons) >= 4
    raw = {r[ID]: r[TEXT] for r in pages.select(ID, TEXT).collect()}
    assert sum(1 for r in fused if r[1] != raw[r[0]]) > 0


def test_fewer_python_evaluations_in_the_plan(spark, pages):
    stages = [Normalize(), C4QualityFilter(), GopherRepetitionFilter(), GopherQualityFilter()]

    def python_nodes(fuse: bool) -> int:
        plan = Pipeline(stages, fuse=fuse).annotate(pages)._jdf.queryExecution().executedPlan().toString()
        return plan.count("ArrowEvalPython")

    assert python_nodes(True) == 1 < python_nodes(False)


def test_in_order_first_reason_wins_and_an_edit_feeds_the_next_rule():
    normalize, c4 = Normalize(), C4QualityFilter()
    text = "Short \u200bline."
    changed, reason, index = _apply_in_order([normalize, c4], text, None)
    assert reason is not None and reason.startswith("c4.") and index == 1
    assert changed == normalize.edit(text)[0] != text  # the text the dropping rule saw
    assert _apply_in_order([c4], text, "x")[1:] == (c4.edit(text)[1], 0)
    only_b = C4QualityFilter(sources=["b"])
    assert _apply_in_order([only_b], text, "a") == (None, None, None)  # another source: untouched
