"""ExactDedup and UrlDedup (normalization, survivor rule, live rows only, stats), and the Dedup chain."""

from __future__ import annotations

import dataclasses
import os

import pytest
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, ID, STAGE_REASON
from byod.stages.base import figures_scope
from byod.stages.dedup import EXACT_DUPLICATE, NEAR_DUPLICATE, URL_DUPLICATE, Dedup, ExactDedup, MinHashDedup, UrlDedup

SCHEMA = "id string, text string, url string, timestamp string"


def reasons(spark, rows, stage, **columns):
    df = spark.createDataFrame(rows, SCHEMA)
    for name, column in columns.items():
        df = df.withColumn(name, column)
    return {r[ID]: r[STAGE_REASON] for r in stage.annotate(df).collect()}


@pytest.mark.parametrize(("stage", "a", "b", "duplicate"), [
    (ExactDedup(), "Hello  World\n", "hello world", True),
    (ExactDedup(lowercase=False), "Hello world", "hello world", False),
    (ExactDedup(), "Hello, world!", "hello world", False),
    (ExactDedup(strip_punctuation=True), "Hello, world!", "hello world", True),
    (ExactDedup(collapse_whitespace=False), "hello  world", "hello world", False),
    (ExactDedup(), "", "  ", True),
])
def test_normalization(spark, stage, a, b, duplicate):
    by_id = dataclasses.replace(stage, priority=())  # the smallest id survives, whatever the lengths
    got = reasons(spark, [("2", a, None, None), ("1", b, None, None)], by_id)
    assert got == {"1": None, "2": EXACT_DUPLICATE if duplicate else None}


def test_survivor_is_smallest_id_or_priority_and_only_live_rows_count(spark):
    rows = [("b", "same text", None, "2024"), ("a", "same text", None, "2020"), ("c", "same text", None, "2022"),
            ("d", "other text", None, "2021"), ("e", None, None, None), ("f", None, None, None)]
    assert reasons(spark, rows, ExactDedup(priority=())) == {"a": None, "b": EXACT_DUPLICATE, "c": EXACT_DUPLICATE,
                                                  "d": None, "e": None, "f": None}
    newest = reasons(spark, rows, ExactDedup(priority=("-timestamp",)))
    assert [k for k, v in sorted(newest.items()) if v] == ["a", "c"]
    dropped = F.when(F.col(ID) == "a", F.lit("earlier.rule"))
    assert reasons(spark, rows, ExactDedup(priority=()), **{DROP_REASON: dropped})["b"] is None  # "a" is out


def test_url_dedup_ignores_fragment_and_empty_urls(spark):
    rows = [("1", "x", "https://e.org/p#top", None), ("2", "y", "https://e.org/p", None),
            ("3", "z", "https://e.org/P", None), ("4", "w", "", None), ("5", "v", "", None)]
    assert reasons(spark, rows, UrlDedup()) == {"1": None, "2": URL_DUPLICATE, "3": None, "4": None, "5": None}
    assert reasons(spark, rows, UrlDedup(lowercase=True))["3"] == URL_DUPLICATE


def test_thousands_of_identical_docs_and_stats(spark):
    rows = [(f"d{i:05d}", "Boilerplate cookie banner", None, None) for i in range(3000)]
    rows += [(f"e{i}", "Another repeated footer", None, None) for i in range(3)] + [("z", "unique", None, None)]
    stage = ExactDedup()
    annotated = stage.annotate(spark.createDataFrame(rows, SCHEMA)).cache()
    assert annotated.filter(F.col(STAGE_REASON) == EXACT_DUPLICATE).count() == 2999 + 2
    stats = stage.stats(annotated)["exact"]
    assert stats["removed"] == 3001 and stats["clusters"] == 2
    assert [(c["size"], c["survivor"]) for c in stats["largest"]] == [(3000, "d00000"), (3, "e0")]
    assert stats["largest"][0]["example_ids"] == ["d00000", "d00001", "d00002"]
    kept = stage(spark.createDataFrame(rows, SCHEMA))  # used alone, the filter drops
    assert sorted(r[ID] for r in kept.collect()) == ["d00000", "e0", "z"]


def test_dedup_chains_exact_url_then_fuzzy(spark, tmp_path):
    base = "a long enough paragraph about spark dedup that has many words in it for shingles"
    rows = [("1", base, "u1", None), ("2", base.upper(), "u2", None), ("3", base + " and more", "u3", None),
            ("4", "something else entirely with its own words and phrases here", "u1", None),
            ("5", "unrelated text number five about cooking pasta at home tonight", "u5", None)]
    stage = Dedup(url=True, work_dir=str(tmp_path), priority=())  # () : the smallest id survives
    df = spark.createDataFrame(rows, SCHEMA)
    with figures_scope():
        annotated = stage.annotate(df).cache()
        stats = stage.stats(annotated)
    got = {r[ID]: r[STAGE_REASON] for r in annotated.collect()}
    assert got == {"1": None, "2": EXACT_DUPLICATE, "3": NEAR_DUPLICATE, "4": URL_DUPLICATE, "5": None}
    assert {k: v["removed"] for k, v in stats.items()} == {"exact": 1, "url": 1, "near": 1}
    assert stats["near"]["docs"] == 3  # measured while annotating, read back through the run's figures
    folded = stage.fold(df)
    assert folded.filter(F.col(DROP_REASON).isNotNull()).count() == 3
    # alone, the stage returns the user's columns only, and keeps no state between calls
    kept = df.transform(stage)
    assert kept.columns == df.columns and sorted(r[ID] for r in kept.collect()) == ["1", "5"]
    assert not [k for k in vars(stage) if k.startswith("_")]


def test_dedup_steps_may_be_subclasses(spark, tmp_path):
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class CaseSensitiveExact(ExactDedup):
        lowercase: bool = False

    rows = [("1", "Same words here", "u", None), ("2", "same words here", "u", None),
            ("3", "Same words here", "u", None)]
    stage = Dedup(exact=CaseSensitiveExact(), fuzzy=False)
    got = reasons(spark, rows, stage)
    assert got == {"1": None, "2": None, "3": EXACT_DUPLICATE}


def test_standalone_checkpoints_are_removed_at_exit(spark, monkeypatch):
    import atexit

    from byod.stages.dedup.survivor import make_work_dir

    registered = []
    monkeypatch.setattr(atexit, "register", lambda fn, *args, **kwargs: registered.append((fn, args, kwargs)))
    path = make_work_dir(spark, None, "minhash")
    assert [(args[0], kwargs) for _, args, kwargs in registered] == [(path, {"ignore_errors": True})]
    os.makedirs(path)
    registered[0][0](*registered[0][1], **registered[0][2])
    assert not os.path.exists(path)
    assert make_work_dir(spark, "/some/base", "minhash").startswith("/some/base/minhash-") and len(registered) == 1


@pytest.mark.parametrize(("make", "error"), [
    (lambda: ExactDedup(priority="timestamp"), TypeError),
    (lambda: UrlDedup(lowercase="yes"), TypeError),
    (lambda: MinHashDedup(bands=0), ValueError),
    (lambda: MinHashDedup(threshold=1.5), ValueError),
    (lambda: Dedup(exact=False, fuzzy=False), ValueError),
    (lambda: Dedup(fuzzy=ExactDedup()), TypeError),
])
def test_bad_parameters_fail_at_construction(make, error):
    with pytest.raises(error):
        make()
