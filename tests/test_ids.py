"""Stable ids: Spark and Python agree, and ids depend on content and source, not on order."""

from __future__ import annotations

from pyspark.sql import functions as F

from byod.ids import stable_id, stable_id_column


def test_spark_and_python_ids_agree_and_ignore_order(spark):
    rows = [("c4", "http://a", "hello world"), ("c4", "http://b", "hello world"), ("arxiv", None, "x ∑ y")]
    df = spark.createDataFrame(rows, "source string, url string, text string")
    with_ids = df.withColumn("id", stable_id_column(F.col("source"), F.col("url"), F.col("text")))
    got = {(r.source, r.url, r.text): r.id for r in with_ids.collect()}
    expected = {row: stable_id(*row) for row in rows}
    assert got == expected
    reordered = df.orderBy(F.desc("url")).repartition(3)
    again = reordered.withColumn("id", stable_id_column(F.col("source"), F.col("url"), F.col("text")))
    assert {r.id for r in again.collect()} == set(expected.values())


def test_ids_differ_by_source_key_and_text():
    base = stable_id("c4", "http://a", "text")
    assert len(base) == 16 and int(base, 16) >= 0
    assert stable_id("web", "http://a", "text") != base
    assert stable_id("c4", "http://b", "text") != base
    assert stable_id("c4", "http://a", "text!") != base
    assert stable_id("c4", "http://a", "text") == base
