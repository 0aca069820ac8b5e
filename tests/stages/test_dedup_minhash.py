"""MinHashDedup: numpy signatures, accuracy against the corpora's exact Jaccard ground truth,
determinism across runs and partition counts, bounded edges on a large identical cluster, bad input."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, ID, STAGE_REASON
from byod.stages.base import figures_scope
from byod.stages.dedup import NEAR_DUPLICATE, MinHashDedup
from byod.stages.dedup import signatures as sig
from byod.stages.dedup.minhash import CLUSTER

SCHEMA = "id string, text string, timestamp string"


def load_corpus(corpora: Path, name: str) -> tuple[list[tuple[str, str, str]], set[frozenset[str]]]:
    """Rows ``(id, text, timestamp)`` and the positive pairs (exact word-5 Jaccard >= 0.8)."""
    if name == "neardup":
        rows = [json.loads(line) for line in gzip.open(corpora / "neardup_public.jsonl.gz", "rt")]
        ids = [r["id"] for r in rows]
        pairs_file = "neardup_pairs.tsv.gz"
    else:  # web: ids come from web_meta.tsv.gz by url
        meta = [line.rstrip("\n").split("\t") for line in gzip.open(corpora / "web_meta.tsv.gz", "rt")]
        by_url = {r[meta[0].index("url")]: r[meta[0].index("id")] for r in meta[1:]}
        rows = [json.loads(line) for line in gzip.open(corpora / "web_public.jsonl.gz", "rt")]
        ids = [by_url[r["url"]] for r in rows]
        pairs_file = "web_dup_pairs.tsv.gz"
    lines = [line.rstrip("\n").split("\t") for line in gzip.open(corpora / pairs_file, "rt")]
    col = {c: i for i, c in enumerate(lines[0])}
    positives = {frozenset((r[col["id_a"]], r[col["id_b"]])) for r in lines[1:] if float(r[col["j_w5"]]) >= 0.8}
    return [(i, r["text"], r["timestamp"]) for i, r in zip(ids, rows)], positives


def pair_scores(clusters: dict[str, str], positives: set[frozenset[str]]) -> tuple[float, float]:
    """Pair precision and recall: a pair is found when both ids are in one component."""
    groups: dict[str, list[str]] = {}
    for doc, root in clusters.items():
        groups.setdefault(root, []).append(doc)
    found = {frozenset(p) for g in groups.values() for p in itertools.combinations(sorted(g), 2)}
    true = len(found & positives)
    return (true / len(found) if found else 1.0), true / len(positives)


def run(spark, rows, stage, partitions=2):
    df = spark.createDataFrame(rows, SCHEMA).repartition(partitions)
    annotated = stage.annotate(df).cache()
    clusters = {r[ID]: r[CLUSTER] for r in annotated.filter(F.col(CLUSTER).isNotNull()).collect()}
    removed = sorted(r[ID] for r in annotated.filter(F.col(STAGE_REASON) == NEAR_DUPLICATE).collect())
    return annotated, clusters, removed


# ---- pure numpy pieces ------------------------------------------------------------------------------

def test_short_and_empty_documents_have_defined_shingles():
    counts = np.array([0, 1, 3, 5, 7])
    hashes = sig.word_hashes([f"w{i}" for i in range(16)])
    shingles, per_doc = sig.shingle_hashes_batch(counts, hashes, 5)
    assert per_doc.tolist() == [0, 1, 1, 1, 3]
    assert len(shingles) == 6
    assert len(sig.shingle_set("", 5)) == 0
    assert len(sig.shingle_set("one", 5)) == 1
    assert sig.jaccard(sig.shingle_set("a b c", 5), sig.shingle_set("A, b  c!", 5)) == 1.0


def test_exact_jaccard_matches_python_sets():
    a = "the quick brown fox jumps over the lazy dog and runs far away from the farm"
    b = "the quick brown fox jumps over the lazy cat and runs far away from the farm"
    wa, wb = a.split(), b.split()
    sa = {tuple(wa[i:i + 5]) for i in range(len(wa) - 4)}
    sb = {tuple(wb[i:i + 5]) for i in range(len(wb) - 4)}
    assert sig.jaccard(sig.shingle_set(a, 5), sig.shingle_set(b, 5)) == pytest.approx(len(sa & sb) / len(sa | sb))


def test_identical_texts_share_every_band_and_others_do_not():
    texts = ["alpha beta gamma delta epsilon zeta eta theta"] * 2 + ["iota kappa lambda mu nu xi omicron pi"]
    keys, counts = sig.batch_band_keys(texts, ngram=5, bands=16, rows=8, seed=1)
    assert keys.shape == (3, 16) and counts.tolist() == [8, 8, 8]
    assert (keys[0] == keys[1]).all() and not (keys[0] == keys[2]).any()


# ---- accuracy against exact ground truth ------------------------------------------------------------

@pytest.mark.parametrize("corpus", ["neardup", "web"])
def test_precision_and_recall_at_jaccard_0_8(spark, corpora, tmp_path, corpus):
    rows, positives = load_corpus(corpora, corpus)
    stage = MinHashDedup(work_dir=str(tmp_path), priority=())  # () : the smallest id survives
    with figures_scope() as figures:
        annotated, clusters, removed = run(spark, rows, stage)
        stats = stage.stats(annotated)["near"]
    precision, recall = pair_scores(clusters, positives)
    print(f"\n{corpus}: docs={len(rows)} positives={len(positives)} precision={precision:.3f} "
          f"recall={recall:.3f} removed={len(removed)} run={figures.of(stage)}")
    assert precision >= 0.95
    assert recall >= 0.90
    assert stats["docs"] == figures.of(stage)["docs"] == len(rows)
    assert stage.stats(annotated)["near"]["removed"] == len(removed) and "docs" not in stage.stats(annotated)["near"]
    assert stats["removed"] == len(removed)
    assert stats["clusters"] == len(set(clusters.values()))
    assert stats["largest"][0]["size"] >= stats["largest"][-1]["size"]
    survivors = {s["survivor"] for s in stats["largest"]}
    assert survivors == {s["cluster"] for s in stats["largest"]}  # smallest id survives with priority=()


def test_same_ids_removed_across_runs_and_partition_counts(spark, corpora, tmp_path):
    rows = load_corpus(corpora, "neardup")[0] + load_corpus(corpora, "web")[0]
    stage = MinHashDedup(work_dir=str(tmp_path))
    first = run(spark, rows, stage, partitions=1)[2]
    second = run(spark, list(reversed(rows)), stage, partitions=4)[2]
    assert len(first) >= 43 and first == second  # 30 neardup + 13 web removals, plus cross-corpus copies


def test_priority_keeps_the_newest_copy(spark, tmp_path):
    text = "a shared paragraph of ten words that repeats across the pages"
    rows = [("a", text, "2020-01-01"), ("b", text + " extra", "2024-01-01"), ("c", text, "2022-01-01")]
    _, clusters, removed = run(spark, rows, MinHashDedup(work_dir=str(tmp_path), priority=("-timestamp",)))
    assert removed == ["a", "c"]
    assert set(clusters.values()) == {"a"}  # the component id stays the smallest id


# ---- bad input and scale ----------------------------------------------------------------------------

def test_bad_input_and_identical_cluster_keep_edges_linear(spark, tmp_path):
    copies = 5000
    rows = [(f"dup{i:05d}", "the same boilerplate page repeated many many times over", "t") for i in range(copies)]
    rows += [("empty1", "", "t"), ("empty2", "", "t"), ("null", None, "t"), ("punct", "!!! ...", "t"),
             ("one1", "word", "t"), ("one2", "word", "t"), ("short", "three short words", "t")]
    df = spark.createDataFrame(rows, SCHEMA).withColumn(
        DROP_REASON, F.when(F.col(ID) == "dup00000", F.lit("earlier.rule")))  # not live: ignored
    stage = MinHashDedup(work_dir=str(tmp_path))
    with figures_scope() as figures:
        annotated = stage.annotate(df).cache()
    reasons = {r[ID]: r[STAGE_REASON] for r in annotated.collect()}
    info = figures.of(stage)
    print(f"\nidentical cluster of {copies}: {info}")
    assert reasons["dup00000"] is None and reasons["dup00001"] is None  # survivor among live rows
    assert sum(r == NEAR_DUPLICATE for r in reasons.values()) == (copies - 2) + 1  # dups + "one2"
    assert reasons["one2"] == NEAR_DUPLICATE and reasons["one1"] is None
    assert all(reasons[k] is None for k in ("empty1", "empty2", "null", "punct", "short"))
    assert info["no_words"] == 3 and info["short"] == 3
    assert info["candidate_edges"] <= copies  # star edges: one per copy, not copies^2 / 2
    assert max(info["edges_per_round"]) <= copies and info["rounds"] == 0


@pytest.mark.slow
def test_100k_identical_cluster_edges_stay_linear(spark, tmp_path):
    copies = 100_000
    df = spark.range(copies).select(F.format_string("d%07d", "id").alias(ID),
                                    F.lit("one page copied a hundred thousand times by a crawler").alias("text"))
    stage = MinHashDedup(work_dir=str(tmp_path))
    with figures_scope() as figures:
        annotated = stage.annotate(df)
    removed = annotated.filter(F.col(STAGE_REASON) == NEAR_DUPLICATE).count()
    info = figures.of(stage)
    print(f"\n100k identical cluster: {info}")
    assert removed == copies - 1
    assert info["bucket_rows"] == copies * stage.bands
    assert info["candidate_edges"] == copies - 1
    assert max(info["edges_per_round"]) == copies - 1
