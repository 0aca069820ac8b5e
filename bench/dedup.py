"""byod MinHashDedup vs DataTrove 0.9.0's 4-stage MinHash and datasketch 2.0's MinHashLSH, same corpus and machine.

The corpus: every document of ../shared/corpora/{neardup,web}_public plus light variants of each
(word deletions, substitutions, insertions at 0-8 %, some exact copies). Ground truth: the exact
word-5-shingle Jaccard (lowercase ``\\w+`` words, as the corpora's pair files count) of every pair
inside a family (a base document, its variants, and bases the pair files link at >= 0.2); pairs at
or above 0.8 are positives; pairs across families are taken as negatives. A pair is found when both
documents end in one cluster. Each engine runs in its own process so peak memory (RSS of the process
tree, sampled) is its own; byod's JVM start and a warm-up job are excluded from its time.

datasketch is the single-process reference per core: lowercase ``\\w+`` word 5-shingles, one
``MinHash(num_perm=bands*rows)`` per document (``update_batch``), ``MinHashLSH(params=(bands, rows))``,
every document queried, candidates joined into clusters (union-find), no verification. It uses one
core; byod and DataTrove use two, so the table also prints documents/s per core used.

    python bench/dedup.py [--variants 30] [--repeats 2]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPORA, PeakRSS, word_variant  # noqa: E402

from byod.stages.dedup import signatures as sig  # noqa: E402

NGRAM, BANDS, ROWS, THRESHOLD = 5, 14, 8, 0.8  # DataTrove's default bands x rows for both engines


def _bases() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Base documents ``(id, text)`` and linked base pairs (Jaccard >= 0.2) from the pair files."""
    docs = [(r["id"], r["text"]) for r in map(json.loads, gzip.open(CORPORA / "neardup_public.jsonl.gz", "rt"))]
    meta = [line.rstrip("\n").split("\t") for line in gzip.open(CORPORA / "web_meta.tsv.gz", "rt")]
    by_url = {r[meta[0].index("url")]: r[meta[0].index("id")] for r in meta[1:]}
    docs += [(by_url[r["url"]], r["text"]) for r in map(json.loads, gzip.open(CORPORA / "web_public.jsonl.gz", "rt"))]
    links = []
    for name in ("neardup_pairs.tsv.gz", "web_dup_pairs.tsv.gz"):
        lines = [line.rstrip("\n").split("\t") for line in gzip.open(CORPORA / name, "rt")]
        links += [(r[0], r[1]) for r in lines[1:]]
    return docs, links


def build_corpus(path: Path, variants: int, seed: int = 0) -> tuple[int, set[frozenset[str]], int]:
    """Write the corpus as two JSONL files (``id``, ``text``) in ``path``; return docs, positives, MB."""
    rng = random.Random(seed)
    bases, links = _bases()
    family = {doc_id: doc_id for doc_id, _ in bases}

    def root(x: str) -> str:
        while family[x] != x:
            x = family[x]
        return x

    for a, b in links:
        ra, rb = root(a), root(b)
        family[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[tuple[str, str]]] = {}
    for doc_id, text in bases:
        docs = [(doc_id, text)] + [(f"{doc_id}-v{k:03d}", word_variant(text, rng)) for k in range(variants)]
        members.setdefault(root(doc_id), []).extend(docs)
    positives: set[frozenset[str]] = set()
    path.mkdir(parents=True)
    outs = [open(path / f"docs-{k}.jsonl", "w") for k in range(2)]  # two files: DataTrove's 2 tasks both work
    with outs[0], outs[1]:
        for n, docs in enumerate(members.values()):
            sets = [sig.shingle_set(t, NGRAM) for _, t in docs]
            for (i, (a, _)), (j, (b, _)) in itertools.combinations(enumerate(docs), 2):
                if sig.jaccard(sets[i], sets[j]) >= THRESHOLD:
                    positives.add(frozenset((a, b)))
            for doc_id, text in docs:
                outs[n % 2].write(json.dumps({"id": doc_id, "text": text}) + "\n")
    count = sum(len(d) for d in members.values())
    return count, positives, sum(f.stat().st_size for f in path.iterdir()) / 2**20


def scores(clusters: dict[str, object], positives: set[frozenset[str]]) -> tuple[float, float]:
    groups: dict[object, list[str]] = {}
    for doc, cluster in clusters.items():
        groups.setdefault(cluster, []).append(doc)
    found = {frozenset(p) for g in groups.values() for p in itertools.combinations(g, 2)}
    true = len(found & positives)
    return (true / len(found) if found else 1.0), true / len(positives)


def run_byod(corpus: str, work: str, repeats: int) -> dict:
    from pyspark.sql import functions as F

    from byod.spark import get_spark
    from byod.stages.base import figures_scope
    from byod.stages.dedup import MinHashDedup
    from byod.stages.dedup.minhash import CLUSTER

    spark = get_spark("local[2]", conf={"spark.sql.shuffle.partitions": "4", "spark.local.dir": work})
    spark.range(10).count()  # warm-up: JVM and first job are not timed
    stage = MinHashDedup(bands=BANDS, rows=ROWS, ngram=NGRAM, threshold=THRESHOLD, work_dir=work)
    times, clusters, info = [], {}, {}
    for _ in range(repeats):
        start = time.perf_counter()
        df = spark.read.schema("id string, text string").json(corpus).repartition(4)
        with figures_scope() as figures:
            annotated = stage.annotate(df)
        clusters = {r["id"]: r[CLUSTER] for r in annotated.filter(F.col(CLUSTER).isNotNull()).select("id", CLUSTER)
                    .collect()}
        times.append(time.perf_counter() - start)
        info = figures.of(stage)
    return {"seconds": statistics.median(times), "clusters": clusters, "info": info}


def run_datatrove(corpus: str, work: str, repeats: int) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    config = MinhashConfig(n_grams=NGRAM, num_buckets=BANDS, hashes_per_bucket=ROWS)
    times, clusters = [], {}
    for run in range(repeats):
        base = Path(work) / f"dt{run}"
        read = JsonlReader(corpus, glob_pattern="*.jsonl", id_key="id")
        start = time.perf_counter()
        stages = [
            ([read, MinhashDedupSignature(output_folder=f"{base}/sigs", config=config)], 2),
            ([MinhashDedupBuckets(input_folder=f"{base}/sigs", output_folder=f"{base}/buckets", config=config)], BANDS),
            ([MinhashDedupCluster(input_folder=f"{base}/buckets", output_folder=f"{base}/remove", config=config,
                                  save_cluster_id=True)], 1),
            ([read, MinhashDedupFilter(input_folder=f"{base}/remove", load_cluster_ids=True,
                                       exclusion_writer=JsonlWriter(f"{base}/removed")),
              JsonlWriter(f"{base}/kept")], 2),
        ]
        for i, (pipeline, tasks) in enumerate(stages):
            LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=2, logging_dir=f"{base}/logs{i}",
                                  skip_completed=False).run()
        times.append(time.perf_counter() - start)
        clusters = {}
        for sub in ("kept", "removed"):
            for file in (base / sub).glob("*.jsonl.gz"):
                for line in gzip.open(file, "rt"):
                    doc = json.loads(line)
                    cluster = doc.get("metadata", {}).get("minhash_cluster_id", -1)
                    if cluster != -1:
                        clusters[doc["id"]] = cluster
    return {"seconds": statistics.median(times), "clusters": clusters}


def _lsh_clusters(hashes: dict, lsh) -> dict[str, str]:
    """Documents in clusters of two or more: LSH candidates joined transitively (union-find)."""
    parent = {doc_id: doc_id for doc_id in hashes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for doc_id, minhash in hashes.items():
        for other in lsh.query(minhash):
            parent[find(other)] = find(doc_id)
    roots = {doc_id: find(doc_id) for doc_id in hashes}
    sizes: dict[str, int] = {}
    for root in roots.values():
        sizes[root] = sizes.get(root, 0) + 1
    return {doc_id: root for doc_id, root in roots.items() if sizes[root] > 1}


def run_datasketch(corpus: str, work: str, repeats: int) -> dict:
    import re

    from datasketch import MinHash, MinHashLSH

    word = re.compile(r"\w+")
    times, clusters = [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        docs = [json.loads(line) for f in sorted(Path(corpus).glob("*.jsonl")) for line in f.open()]
        lsh = MinHashLSH(num_perm=BANDS * ROWS, params=(BANDS, ROWS))
        hashes = {}
        for doc in docs:
            words = word.findall(doc["text"].lower())
            shingles = {" ".join(words[i : i + NGRAM]) for i in range(max(1, len(words) - NGRAM + 1))}
            minhash = MinHash(num_perm=BANDS * ROWS)
            minhash.update_batch([s.encode() for s in shingles])
            hashes[doc["id"]] = minhash
            lsh.insert(doc["id"], minhash, check_duplication=False)
        clusters = _lsh_clusters(hashes, lsh)
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "clusters": clusters}


ENGINES = {"byod": (run_byod, 2), "datatrove": (run_datatrove, 2), "datasketch": (run_datasketch, 1)}


def child(engine: str, corpus: str, work: str, repeats: int, result: str) -> None:
    """Run one engine in this process and write its figures as JSON."""
    figures = ENGINES[engine][0](corpus, work, repeats)
    Path(result).write_text(json.dumps({**figures, "clusters": {k: str(v) for k, v in figures["clusters"].items()}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=30, help="variants per base document")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per engine (median)")
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "CORPUS", "WORK", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, corpus, work, result = args.child
        child(engine, corpus, work, args.repeats, result)
        return
    from importlib.metadata import version

    tmp = Path(tempfile.mkdtemp(prefix="byod-bench-dedup-"))
    corpus = tmp / "corpus"
    docs, positives, megabytes = build_corpus(corpus, args.variants)
    rows = {}
    for engine in ENGINES:
        work, result = tmp / f"work-{engine}", tmp / f"{engine}.json"
        work.mkdir()
        cmd = [sys.executable, __file__, "--repeats", str(args.repeats), "--child", engine, str(corpus), str(work),
               str(result)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
        sampler = PeakRSS(proc.pid, interval=0.05)
        sampler.start()
        code = proc.wait()
        peak = [sampler.finish()]
        if code != 0:
            raise SystemExit(f"{engine} run failed with exit code {code}: rerun `{' '.join(cmd)}` to see why")
        figures = json.loads(result.read_text())
        precision, recall = scores(figures["clusters"], positives)
        rows[engine] = (figures["seconds"], precision, recall, peak[0] / 2**20, figures.get("info", {}))
    print(f"corpus: {docs} docs, {megabytes:.1f} MB, {len(positives)} positive pairs (J >= {THRESHOLD}); "
          f"shingles {NGRAM} words, {BANDS} bands x {ROWS} rows; 2 cores; "
          f"pyspark {version('pyspark')}, datatrove {version('datatrove')}")
    print(f"{'engine':<10} {'cores':>5} {'seconds':>8} {'docs/s':>8} {'per core':>8} {'MB/s':>6} {'precision':>9} "
          f"{'recall':>7} {'peak MB':>8}")
    for engine, (seconds, precision, recall, peak_mb, _) in rows.items():
        cores = ENGINES[engine][1]
        print(f"{engine:<10} {cores:5d} {seconds:8.1f} {docs / seconds:8.0f} {docs / seconds / cores:8.0f} "
              f"{megabytes / seconds:6.2f} {precision:9.3f} {recall:7.3f} {peak_mb:8.0f}")
    per_core = (rows["datasketch"][0] * 1) / (rows["byod"][0] * 2)
    print(f"throughput ratio byod/datatrove: {rows['datatrove'][0] / rows['byod'][0]:.2f}x; "
          f"byod/datasketch per core: {per_core:.2f}x; byod run: {rows['byod'][4]}")


if __name__ == "__main__":
    main()
