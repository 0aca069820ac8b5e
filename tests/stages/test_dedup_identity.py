"""Dedup sees documents, not ids: a file read twice is deduplicated by MinHash alone, exact copies and
id assignment do not change near-duplicate results, and clusters match an all-pairs ground truth."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from byod.columns import ID, STAGE_REASON
from byod.pipeline import Pipeline
from byod.sources import read_c4, read_jsonl
from byod.stages.dedup import NEAR_DUPLICATE, Dedup, MinHashDedup
from byod.stages.dedup import signatures as sig
from byod.stages.dedup.minhash import CLUSTER


def web_sample(corpora: Path, count: int) -> list[dict]:
    """The first ``count`` real web documents with their url and timestamp."""
    with gzip.open(corpora / "web_public.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in itertools.islice(f, count)]


def version_chains(corpora: Path, docs: int = 12, versions: int = 8, block: int = 25) -> list[str]:
    """Texts of real pages, each in ``versions`` successive edits: every version rewrites a new block of
    ``block`` words, so neighbours have Jaccard ~0.87 and versions two apart ~0.76 (below 0.8)."""
    with gzip.open(corpora / "web_public.jsonl.gz", "rt") as f:
        pages = [json.loads(line)["text"] for line in f]
    pages = [p for p in pages if len(re.findall(r"\w+", p)) >= 420]
    filler = re.findall(r"\S+", " ".join(pages[-5:]))
    texts = []
    for d, page in enumerate(pages[:docs]):
        words = re.findall(r"\S+", page)[:420]
        texts.append(" ".join(words))
        for v in range(1, versions):
            start, src = 20 + (v - 1) * (block + 10), (d * 97 + v * 31) * block % (len(filler) - block)
            words = words[:start] + filler[src:src + block] + words[start + block:]
            texts.append(" ".join(words))
    return texts


def all_pairs_clusters(texts: list[str], stage: MinHashDedup) -> set[frozenset[int]]:
    """Ground truth by brute force: components of the pairs that share a band key and reach the threshold."""
    keys, counts = sig.batch_band_keys(texts, ngram=stage.ngram, bands=stage.bands, rows=stage.rows, seed=stage.seed)
    sets = [sig.shingle_set(t, stage.ngram) for t in texts]
    root = list(range(len(texts)))

    def find(x: int) -> int:
        while root[x] != x:
            x = root[x]
        return x

    for a, b in itertools.combinations(range(len(texts)), 2):
        if counts[a] and counts[b] and (keys[a] == keys[b]).any() and sig.jaccard(sets[a], sets[b]) >= stage.threshold:
            root[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(find(i), set()).add(i)
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# ---- issue 14 case 9: a file read twice ------------------------------------------------------------

def test_minhash_alone_drops_a_file_read_twice(spark, corpora, tmp_path):
    path = write_jsonl(tmp_path / "in" / "web.jsonl", web_sample(corpora, 40))
    once = read_c4(spark, str(path), source="web")
    twice = once.unionByName(read_c4(spark, str(path), source="web"))
    assert twice.select(ID).distinct().count() == 40 and twice.count() == 80  # same (source, url, text): same id
    for stage in (MinHashDedup(work_dir=str(tmp_path / "w")), Dedup(exact=False, work_dir=str(tmp_path / "w"))):
        single = sorted(r[ID] for r in stage(once).select(ID).collect())
        double = sorted(r[ID] for r in stage(twice).select(ID).collect())
        assert double == single, stage.name  # one copy of each id, the same ids as one read keeps


def test_a_file_read_twice_in_a_pipeline_accounts_for_every_row(spark, corpora, tmp_path):
    records = [{"text": r["text"]} for r in web_sample(corpora, 30)]
    path = write_jsonl(tmp_path / "in" / "docs.jsonl", records)
    once = read_jsonl(spark, str(path))
    twice = once.unionByName(read_jsonl(spark, str(path)))
    single = Pipeline([MinHashDedup()]).run(once, work_dir=str(tmp_path / "work1"))
    result = Pipeline([MinHashDedup()]).run(twice, work_dir=str(tmp_path / "work2"))
    totals = result.counts["totals"]
    assert totals["in"] == 60 and totals["in"] == totals["kept"] + totals["dropped"] + totals["rejected"]
    kept = [r[ID] for r in result.kept.select(ID).collect()]
    assert len(kept) == len(set(kept)) == totals["kept"] == single.counts["totals"]["kept"]
    assert set(kept) == {r[ID] for r in single.kept.select(ID).collect()}
    assert result.counts["dropped_by_reason"][NEAR_DUPLICATE] == 30 + single.counts["totals"]["dropped"]


# ---- issue 16: exact copies, ids and partitions do not change near-duplicate results ------------------

@pytest.mark.slow  # a whole job run or more: CI's slow step (keeps the default suite under 15 min)
def test_clusters_match_all_pairs_ground_truth_whatever_the_ids(spark, corpora, tmp_path):
    texts = version_chains(corpora)
    stage = MinHashDedup(work_dir=str(tmp_path))
    expected = all_pairs_clusters(texts, stage)
    assert len(expected) >= 10 and sum(len(g) - 1 for g in expected) >= 70
    for salt, partitions in ((0, 1), (1, 4)):
        ids = [hashlib.sha256(f"{salt}:{i}".encode()).hexdigest()[:16] for i in range(len(texts))]
        index = {doc: i for i, doc in enumerate(ids)}
        df = spark.createDataFrame(list(zip(ids, texts)), "id string, text string").repartition(partitions)
        rows = stage.annotate(df).collect()
        groups: dict[str, set[int]] = {}
        for r in rows:
            if r[CLUSTER] is not None:
                groups.setdefault(r[CLUSTER], set()).add(index[r[ID]])
        assert {frozenset(g) for g in groups.values()} == expected, f"ids salted with {salt}"
        assert sum(r[STAGE_REASON] == NEAR_DUPLICATE for r in rows) == sum(len(g) - 1 for g in expected)


def test_four_exact_copies_keep_what_one_copy_keeps(spark, corpora, tmp_path):
    records = [{"text": t} for t in version_chains(corpora)]
    one = write_jsonl(tmp_path / "one" / "corpus.jsonl", records)
    for copy in range(4):  # other file names: other ids, and exact dedup keeps a different copy of each text
        (tmp_path / "four").mkdir(exist_ok=True)
        shutil.copy(one, tmp_path / "four" / f"copy{copy}.jsonl")
    counts = {}
    for name in ("one", "four"):
        docs = read_jsonl(spark, str(tmp_path / name))
        counts[name] = Pipeline([Dedup()]).run(docs, work_dir=str(tmp_path / f"work-{name}")).counts
    one_reasons, four_reasons = counts["one"]["dropped_by_reason"], counts["four"]["dropped_by_reason"]
    assert four_reasons[NEAR_DUPLICATE] == one_reasons[NEAR_DUPLICATE] > 0
    assert four_reasons["dedup.exact_duplicate"] == 3 * len(records)
    assert counts["four"]["totals"]["kept"] == counts["one"]["totals"]["kept"]
