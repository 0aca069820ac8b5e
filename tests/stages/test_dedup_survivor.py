"""Which copy survives: newest timestamp, then longest text, then smallest id, in every dedup step;
``priority`` overrides it; the rule is in the stage's report parameters."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from byod.columns import ID, STAGE_REASON
from byod.stages.base import figures_scope
from byod.stages.dedup import Dedup, ExactDedup, MinHashDedup, UrlDedup

PAGE = ("Installing the package from source requires a C compiler and the development headers of "
        "the library; run the configure script, then make and make install as an administrator.")


def survivors(spark, rows, schema, stage):
    annotated = stage.annotate(spark.createDataFrame(rows, schema).repartition(3))
    return sorted(r[ID] for r in annotated.filter(F.col(STAGE_REASON).isNull()).collect())


@pytest.mark.parametrize("make", [ExactDedup, UrlDedup, MinHashDedup, Dedup])
def test_the_newest_copy_survives(spark, tmp_path, make):
    stage = make(work_dir=str(tmp_path)) if make in (MinHashDedup, Dedup) else make()
    rows = [("a", PAGE, "u", "2019-04-25T12:57:54Z"), ("b", PAGE, "u", "2023-11-02T08:00:00Z"),
            ("c", "  " + PAGE + "\n", "u", None), ("d", PAGE, "u", "not a date")]
    kept = survivors(spark, rows, "id string, text string, url string, timestamp string", stage)
    assert kept == ["b"]  # newest wins over older, longer and unparseable (missing) timestamps


@pytest.mark.parametrize("make", [ExactDedup, MinHashDedup, Dedup])
def test_longer_survives_without_timestamp_then_smallest_id(spark, tmp_path, make):
    stage = make(work_dir=str(tmp_path)) if make in (MinHashDedup, Dedup) else make()
    schema = "id string, text string"
    # exact dedup ignores case and spacing, so " PAGE" and PAGE are one group; the longer raw text wins
    longer = [("a", PAGE), ("b", "  " + PAGE + "  "), ("c", PAGE.upper())]
    assert survivors(spark, longer, schema, stage) == ["b"]
    same_length = [("b", PAGE), ("c", PAGE.upper()), ("a", PAGE.lower())]
    assert survivors(spark, same_length, schema, stage) == ["a"]


def test_near_duplicates_keep_the_longest_then_the_newest_wins_over_length(spark, tmp_path):
    rows = [("a", PAGE, None), ("b", PAGE + " See also the manual page.", None), ("c", PAGE + " Thanks.", None)]
    schema = "id string, text string, timestamp string"
    assert survivors(spark, rows, schema, MinHashDedup(work_dir=str(tmp_path), threshold=0.5)) == ["b"]
    dated = [("a", PAGE, "2024-01-01"), *rows[1:]]
    assert survivors(spark, dated, schema, MinHashDedup(work_dir=str(tmp_path), threshold=0.5)) == ["a"]


def test_priority_overrides_the_rule(spark, tmp_path):
    rows = [("a", PAGE, "2019-01-01", 2), ("b", PAGE + " More.", "2024-01-01", 1), ("c", PAGE, "2020-01-01", 3)]
    schema = "id string, text string, timestamp string, rank int"
    for stage in (ExactDedup(priority=("-rank",)), MinHashDedup(work_dir=str(tmp_path), priority=("-rank",))):
        assert survivors(spark, rows if stage.name == "MinHashDedup" else [rows[0], rows[2]], schema, stage) == ["c"]
    assert survivors(spark, rows, schema, MinHashDedup(work_dir=str(tmp_path), priority=())) == ["a"]


def test_rows_sharing_an_id_keep_one_the_newest(spark, tmp_path):
    # The same page (same source, url and text: same id) crawled twice, read from two snapshots.
    rows = [("x", PAGE, "u", "2020-05-01T00:00:00Z", "snap1"), ("x", PAGE, "u", "2022-05-01T00:00:00Z", "snap2"),
            ("y", "an unrelated short page about gardening and tomatoes in the summer", "v", None, "snap1")]
    schema = "id string, text string, url string, timestamp string, path string"
    for stage in (ExactDedup(), MinHashDedup(work_dir=str(tmp_path)), Dedup(exact=False, work_dir=str(tmp_path))):
        annotated = stage.annotate(spark.createDataFrame(rows, schema).repartition(2))
        kept = annotated.filter(F.col(STAGE_REASON).isNull()).select(ID, "path").collect()
        assert sorted((r[ID], r["path"]) for r in kept) == [("x", "snap2"), ("y", "snap1")], stage.name


def test_report_params_name_the_rule(spark, tmp_path):
    assert Dedup().params()["survivor"] == {"exact": ["-timestamp", "-length(text)", "id"],
                                            "near": ["-timestamp", "-length(text)", "id"]}
    assert MinHashDedup(priority=("-rank",)).params()["survivor"] == ["-rank", "id"]
    stage = Dedup(work_dir=str(tmp_path))
    with figures_scope():  # a run's scope: the report names the rule applied to this frame
        stage.annotate(spark.createDataFrame([("a", PAGE)], "id string, text string"))  # no timestamp column
        assert stage.params()["survivor"]["near"] == ["-length(text)", "id"]
    assert stage.params()["survivor"]["near"] == ["-timestamp", "-length(text)", "id"]  # outside: as configured
    assert stage.params()["priority"] is None
