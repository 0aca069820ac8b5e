"""C4 reader on the real web corpus and on the team-written demo sample."""

from __future__ import annotations

from pyspark.sql import functions as F

from byod.columns import ID, ORIGIN, RAW, REJECT_REASON, SOURCE, TEXT, TIMESTAMP, URL
from byod.ids import stable_id
from byod.sources.c4 import read_c4
from byod.sources.records import JSONL_BAD_JSON, JSONL_MISSING_TEXT
from tests.conftest import SAMPLE


def test_real_web_corpus(spark, corpora):
    df = read_c4(spark, corpora / "web_public.jsonl.gz")
    assert df.columns == [ID, TEXT, SOURCE, URL, TIMESTAMP, REJECT_REASON, ORIGIN, RAW]
    stats = df.agg(
        F.count("*").alias("n"),
        F.count(REJECT_REASON).alias("rejected"),
        F.countDistinct(ID).alias("ids"),
        F.count(URL).alias("urls"),
    ).first()
    assert (stats.n, stats.rejected, stats.ids, stats.urls) == (254, 0, 254, 254)
    row = df.orderBy(ID).first()
    assert row[ID] == stable_id("c4", row[URL], row[TEXT])  # the id is the url's, not the line's
    assert row[URL].startswith("deb://")


def test_demo_sample(spark):
    df = read_c4(spark, SAMPLE / "c4")
    counts = dict(df.groupBy(REJECT_REASON).count().collect())
    assert counts == {None: 44, JSONL_BAD_JSON: 1, JSONL_MISSING_TEXT: 1}
    bad = df.filter(F.col(REJECT_REASON) == JSONL_BAD_JSON).first()
    assert bad[ORIGIN].endswith("c4-sample.jsonl.gz:31") and "cut off" in bad[RAW]
    dup = df.filter(F.col(URL).contains("mirror-example")).count()
    assert dup == 2
    assert df.filter(F.col(TEXT).contains("Lorem ipsum")).count() == 1
