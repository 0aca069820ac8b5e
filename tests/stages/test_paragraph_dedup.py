"""ParagraphDedup: paragraphs, lines, C4 three-sentence spans, survivor, emptied documents, determinism, Pipeline."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from byod.columns import DROP_REASON, ID, STAGE_REASON, TEXT
from byod.errors import ConfigError
from byod.pipeline import Pipeline
from byod.stages.paragraph_dedup import PARAGRAPH_EMPTY, UNITS_REMOVED, ParagraphDedup

NAV = "Home | Docs | Download | Support"
LICENCE = "Licensed under the Apache License, Version 2.0.\nYou may not use this file except in compliance."


def page(i: int) -> str:
    return f"{NAV}\n\nArticle {i} is about topic {i}; it has its own words.\n\n{LICENCE}\n"


def annotate(spark, rows, stage):
    df = spark.createDataFrame(rows, "id string, text string")
    return {r[ID]: (r[STAGE_REASON], r[TEXT]) for r in stage.annotate(df).collect()}


def test_boilerplate_paragraphs_removed_from_all_but_smallest_id(spark):
    rows = [(f"p{i}", page(i)) for i in (3, 1, 4, 2)]
    got = annotate(spark, rows, ParagraphDedup(max_docs=3))
    assert got["p1"] == (None, page(1))  # the smallest id keeps its copy, byte for byte
    for i in (2, 3, 4):
        assert got[f"p{i}"] == (None, f"Article {i} is about topic {i}; it has its own words.")


def test_at_most_max_docs_copies_are_left_alone(spark):
    rows = [(f"p{i}", page(i)) for i in range(3)]
    assert annotate(spark, rows, ParagraphDedup(max_docs=3)) == {f"p{i}": (None, page(i)) for i in range(3)}
    assert annotate(spark, rows, ParagraphDedup(max_docs=2))["p2"][1].startswith("Article 2")


def test_whitespace_is_normalised_but_case_is_not(spark):
    rows = [("a", "Shared  block\n  of text\n\nA"), ("b", "shared block of text\n\nB"), ("c", "Shared block of text\n\nC")]
    got = annotate(spark, rows, ParagraphDedup(max_docs=1))
    assert got == {"a": (None, "Shared  block\n  of text\n\nA"), "b": (None, "shared block of text\n\nB"), "c": (None, "C")}


def test_document_made_only_of_boilerplate_is_dropped_with_its_reason(spark):
    rows = [("a", f"{NAV}\n\nreal text"), ("b", f"{NAV}\n\n\n"), ("c", f"{NAV}\n\nmore text")]
    got = annotate(spark, rows, ParagraphDedup(max_docs=1))
    assert got["b"] == (PARAGRAPH_EMPTY, f"{NAV}\n\n\n")  # dropped, text left as it came
    assert got["c"] == (None, "more text")


def test_line_mode_and_min_words(spark):
    rows = [(f"d{i}", f"Menu\nSkip to main content now\nline {i} of the article\n}}\n") for i in range(3)]
    got = annotate(spark, rows, ParagraphDedup(unit="line", max_docs=1))
    assert got["d1"] == (None, "line 1 of the article")
    spared = annotate(spark, rows, ParagraphDedup(unit="line", max_docs=1, min_words=3))
    assert spared["d1"] == (None, "Menu\nline 1 of the article\n}")  # one-word "Menu" and "}" stay


def test_c4_three_sentence_spans(spark):
    span = "Cookies help us deliver our services. By using them you agree. Learn more in our policy."
    rows = [("a", f"Intro a. {span} Outro a."), ("b", f"Intro b. {span} Outro b."), ("c", f"Only two. {span[:36]}")]
    got = annotate(spark, rows, ParagraphDedup(span="sentences3", max_docs=1))
    assert got["a"] == (None, f"Intro a. {span} Outro a.")
    assert got["b"] == (None, "Intro b. Outro b.")
    assert got["c"] == (None, f"Only two. {span[:36]}")


def test_rows_already_dropped_neither_count_nor_change(spark):
    df = spark.createDataFrame([("a", f"{NAV}\n\nx"), ("b", f"{NAV}\n\ny")], "id string, text string")
    df = df.withColumn(DROP_REASON, F.when(F.col(ID) == "a", F.lit("earlier.rule")))
    out = {r[ID]: r[TEXT] for r in ParagraphDedup(max_docs=1).annotate(df).collect()}
    assert out == {"a": f"{NAV}\n\nx", "b": f"{NAV}\n\ny"}


def test_real_documents_keep_their_own_text(spark, corpora):
    real = spark.read.json(str(corpora / "web_public.jsonl.gz")).select(
        F.xxhash64("url").cast("string").alias(ID), "text").limit(40)
    out = ParagraphDedup(keep_all=True)(real).withColumn("n", F.coalesce(F.col(UNITS_REMOVED), F.lit(0))).cache()
    assert out.filter(F.col(DROP_REASON).isNotNull()).count() == 0  # no real page is only boilerplate here
    before = {r[ID]: r[TEXT] for r in real.collect()}
    for row in out.collect():
        if row["n"] == 0:
            assert row[TEXT] == before[row[ID]]
        else:
            assert len(row[TEXT]) < len(before[row[ID]])


def test_same_output_for_any_partitioning_and_order(spark):
    rows = [(f"p{i:02d}", page(i)) for i in range(12)] + [("q", f"{NAV}\n\n{LICENCE}")]
    frame = spark.createDataFrame(rows, "id string, text string")
    stage = ParagraphDedup(keep_all=True)
    first = stage(frame)
    assertDataFrameEqual(stage(frame.repartition(4)), first)
    assertDataFrameEqual(stage(frame.orderBy(F.col(ID).desc()).coalesce(1)), first)


def test_inside_a_pipeline_with_counts_and_stats(spark, tmp_path):
    rows = [(f"p{i}", page(i), "web") for i in range(5)] + [("q", f"{NAV}\n\n{LICENCE}", "web")]
    frame = spark.createDataFrame(rows, "id string, text string, source string")
    result = Pipeline([ParagraphDedup()]).run(frame, work_dir=str(tmp_path / "work"))
    assert result.counts["stages"][0]["dropped_by_reason"] == {PARAGRAPH_EMPTY: 1}
    assert result.stage_details[0]["stats"] == {"paragraphs_removed": 10, "documents_changed": 4,
                                                "documents_emptied": 1}
    kept = {r[ID]: r[TEXT] for r in result.kept.collect()}
    assert kept["p0"] == page(0) and kept["p3"].startswith("Article 3") and "q" not in kept


@pytest.mark.parametrize(("params", "message"), [
    ({"unit": "sentence"}, "unit must be"),
    ({"span": "sentences5"}, "span must be"),
    ({"max_docs": 0}, "max_docs must be"),
    ({"min_words": True}, "min_words must be"),
])
def test_bad_parameters_are_config_errors(params, message):
    with pytest.raises(ConfigError, match=message):
        ParagraphDedup(**params)
