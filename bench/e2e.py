"""End to end: the c4_arxiv chain in byod (local[2]) vs the closest DataTrove 0.9.0 chain (2 workers).

byod runs the real job (``run_job("c4_arxiv", ...)``): C4 reader -> Normalize -> C4QualityFilter ->
GopherRepetitionFilter -> GopherQualityFilter -> Dedup (exact + MinHash 16x8, verified at 0.8) ->
Tokenize (Llama-3, 2048) -> WriteMDS (zstd), plus the kept and dropped documents as Parquet (to score
dedup). DataTrove: JsonlReader -> byod's Normalize rules ->
C4 -> Gopher repetition -> Gopher quality -> JsonlWriter -> exact dedup (3 stages, same text key)
-> MinHash (4 stages, 16x8) -> DocumentTokenizer (same tokenizer, its .ds format, no shuffle).
Each engine runs in a child process whose whole tree (JVM and Python workers included) is sampled
for peak RSS. The ratio that counts is on the whole child process (cold: imports, JVM start,
tokenizer loads), what a user waits for; the job call alone is shown beside it. The input is a
real-text web corpus (bench/_common.py: build_web_corpus) with known copies, so dedup precision and
recall are scored. Results are kept in /tmp/byod-e2e/results so separate invocations (one per size,
each under the Spark lock) add up to one scaling table.

    flock /tmp/byod-spark.lock .venv/bin/python bench/e2e.py --sizes 20 [--engines byod,datatrove]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PeakRSS, build_web_corpus, dedup_scores, tokenizer_folder  # noqa: E402

ROOT = Path("/tmp/byod-e2e")
#: Where each size's figures are kept (``--tag`` keeps a variant's apart: results-<tag>).
RESULTS = ROOT / "results"
BANDS, ROWS, NGRAM, SEQ = 16, 8, 5, 2048
STAGES = [{"stage": "Normalize"}, {"stage": "C4QualityFilter"}, {"stage": "GopherRepetitionFilter"},
          {"stage": "GopherQualityFilter"}, {"stage": "Dedup"}]


def exact_key(doc) -> str:
    """byod ExactDedup's key text: lowercase, whitespace runs collapsed, trimmed."""
    return re.sub(r"\s+", " ", doc.text.lower()).strip()


def run_byod(corpus: Path, work: Path, tok: Path) -> dict:
    from byod.runner import run_job
    from byod.spark import get_spark

    os.environ["BYOD_SPARK_MASTER"] = "local[2]"
    start = time.perf_counter()
    conf = {"spark.local.dir": str(work / "spark-local")}
    if os.environ.get("BYOD_BENCH_DRIVER_MEMORY"):  # --driver-memory: what the driver heap costs and buys
        conf["spark.driver.memory"] = os.environ["BYOD_BENCH_DRIVER_MEMORY"]
    spark = get_spark("local[2]", conf=conf)
    spark.range(1).count()
    jvm = time.perf_counter() - start
    out = work / "out"
    start = time.perf_counter()
    report = run_job("c4_arxiv", overrides={
        "output": str(out), "overwrite": True, "stages": STAGES,
        "sources": [{"name": "c4", "format": "c4", "paths": [str(corpus / "data")]}],
        "tokenize": {"tokenizer": str(tok), "max_seq_len": SEQ, "eos_text": ""},
        # kept and dropped documents, so dedup can be scored on what reached it (DataTrove's chain below
        # writes its filtered documents and its removed duplicates too)
        "documents": {"format": "parquet", "dropped": True}})
    run = time.perf_counter() - start
    return {"jvm_s": jvm, "run_s": run, "timings": report["timings"], "totals": report["totals"],
            "tokens": report["output"]["packing"]["tokens_in"], "samples": report["output"]["samples"],
            "kept_folder": report["documents"]["output"], "dropped_folder": report["documents"]["dropped"]["output"]}


def run_datatrove(corpus: Path, work: Path, tok: Path) -> dict:
    import importlib.metadata  # noqa: F401  (DataTrove's dependency check needs it imported)

    from _common import datatrove_normalize_step
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.exact_dedup import (
        ExactDedupConfig,
        ExactDedupFilter,
        ExactDedupSignature,
        ExactFindDedups,
    )
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.tokens import DocumentTokenizer
    from datatrove.pipeline.writers import JsonlWriter

    files = len(glob.glob(str(corpus / "data" / "*.jsonl.gz")))
    exact = ExactDedupConfig(content_getter=exact_key)
    minhash = MinhashConfig(n_grams=NGRAM, num_buckets=BANDS, hashes_per_bucket=ROWS)
    w = str(work)
    stages = {
        "read+filter+exact-sig": ([JsonlReader(str(corpus / "data"), glob_pattern="*.jsonl.gz", id_key="url"),
                                   datatrove_normalize_step(), C4QualityFilter(), GopherRepetitionFilter(),
                                   GopherQualityFilter(), JsonlWriter(f"{w}/filtered"),
                                   ExactDedupSignature(f"{w}/exact-sigs", config=exact)], files),
        "exact-find": ([ExactFindDedups(f"{w}/exact-sigs", f"{w}/exact-dups", config=exact)], 1),
        "exact-filter+minhash-sig": ([JsonlReader(f"{w}/filtered"),
                                      ExactDedupFilter(f"{w}/exact-dups", config=exact,
                                                       exclusion_writer=JsonlWriter(f"{w}/removed-exact")),
                                      JsonlWriter(f"{w}/exact-kept"),
                                      MinhashDedupSignature(f"{w}/mh-sigs", config=minhash)], files),
        "minhash-buckets": ([MinhashDedupBuckets(f"{w}/mh-sigs", f"{w}/mh-buckets", config=minhash)], BANDS),
        "minhash-cluster": ([MinhashDedupCluster(f"{w}/mh-buckets", f"{w}/mh-remove", config=minhash)], 1),
        "minhash-filter+tokenize": ([JsonlReader(f"{w}/exact-kept"),
                                     MinhashDedupFilter(f"{w}/mh-remove",
                                                        exclusion_writer=JsonlWriter(f"{w}/removed-near")),
                                     DocumentTokenizer(f"{w}/tokens",
                                                       tokenizer_name_or_path=str(tok / "tokenizer.json"),
                                                       eos_token=None, shuffle_documents=False)], files),
    }
    timings = []
    start = time.perf_counter()
    for i, (name, (pipeline, tasks)) in enumerate(stages.items()):
        began = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=2, logging_dir=f"{w}/logs-{i}",
                              skip_completed=False).run()
        timings.append({"step": name, "seconds": round(time.perf_counter() - began, 3)})
    run = time.perf_counter() - start
    tokens = sum(os.path.getsize(f) for f in glob.glob(f"{w}/tokens/*.ds")) // 4  # 128k vocab: 4-byte ids
    return {"run_s": run, "timings": timings, "tokens": tokens}


def _ids(folder: str) -> list[str]:
    return [json.loads(line)["id"] for f in glob.glob(f"{folder}/*.jsonl.gz") for line in gzip.open(f, "rt")]


def byod_answers(result: dict) -> tuple[set[str], set[str], list[str]]:
    """(urls that reached dedup, urls dedup removed, kept texts) from byod's documents and dropped folders."""
    import pyarrow.dataset as ds

    kept = ds.dataset(result["kept_folder"], format="parquet").to_table(columns=["url", "text"]).to_pydict()
    dropped = ds.dataset(result["dropped_folder"], format="parquet").to_table(
        columns=["url", "drop_reason"]).to_pydict()
    removed = {url for url, reason in zip(dropped["url"], dropped["drop_reason"]) if reason.startswith("dedup.")}
    return set(kept["url"]) | removed, removed, kept["text"]


def raw_tokenizer_seconds(texts: list[str], tok: Path) -> tuple[float, int]:
    """The ceiling: tokenizers' encode_batch_fast over the same kept texts, in this process (2 threads)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tok / "tokenizer.json"))
    start, tokens = time.perf_counter(), 0
    for i in range(0, len(texts), 1024):
        tokens += sum(len(e.ids) for e in tokenizer.encode_batch_fast(texts[i:i + 1024], add_special_tokens=True))
    return time.perf_counter() - start, tokens


def child(engine: str, corpus: str, work: str, tok: str, result: str) -> None:
    figures = (run_byod if engine == "byod" else run_datatrove)(Path(corpus), Path(work), Path(tok))
    Path(result).write_text(json.dumps(figures))


def run_engine(engine: str, corpus: Path, work: Path, tok: Path) -> dict:
    """One engine in a child process; wall time and peak RSS of its whole process tree."""
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result = work / "result.json"
    cmd = [sys.executable, __file__, "--child", engine, str(corpus), str(work), str(tok), str(result)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "true"}
    started = time.perf_counter()
    with open(work / "child.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(work))
        sampler = PeakRSS(proc.pid, interval=0.2)
        sampler.start()
        code = proc.wait()
        peak = sampler.finish()
    if code != 0:
        raise SystemExit(f"{engine} failed (exit {code}); see {work / 'child.log'}")
    return {**json.loads(result.read_text()), "process_s": time.perf_counter() - started, "peak_bytes": peak,
            "peak_pss_bytes": sampler.peak_pss}


def measure(size: int, engine: str, tok: Path) -> dict:
    corpus = ROOT / f"corpus-{size}"
    figures = build_web_corpus(corpus, size)
    family = json.loads((corpus / "families.json").read_text())
    work = ROOT / f"work-{engine}-{size}"
    res = run_engine(engine, corpus, work, tok)
    if engine == "byod":
        entering, removed, kept = byod_answers(res)
        raw_s, raw_tokens = raw_tokenizer_seconds(kept, tok)
        write_s = next(t["seconds"] for t in res["timings"] if t["step"] == "write-mds")
        res.update(raw_s=raw_s, raw_tokens=raw_tokens, write_s=write_s)
    else:
        entering = set(_ids(f"{work}/filtered"))
        removed = set(_ids(f"{work}/removed-exact")) | set(_ids(f"{work}/removed-near"))
        kept = [None] * (len(entering) - len(removed))
    res.update(size=size, engine=engine, input=figures, kept=len(kept), entering=len(entering),
               dedup=dedup_scores(entering, removed, family))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{size}-{engine}.json").write_text(json.dumps(res, indent=1))
    return res


def print_tables() -> None:
    rows = {(r["size"], r["engine"]): r for r in
            (json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json")))}
    print("| MB | engine | docs | cold s | run s | JVM s | docs/s | MB/s | tokens/s | peak RSS GiB | peak PSS GiB | "
          "kept | tokens | dedup P | dedup R | byod/DT cold | byod/DT run |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: | ---: |")
    for (size, engine), r in sorted(rows.items()):
        docs, mb, cold, s = r["input"]["docs"], r["input"]["bytes"] / 1e6, r["process_s"], r["run_s"]
        other = rows.get((size, "datatrove" if engine == "byod" else "byod"))
        ratios = ["", ""]
        if other is not None:  # the same ratio on both rows: how many times faster byod is
            byod, dt = (r, other) if engine == "byod" else (other, r)
            ratios = [f"{dt['process_s'] / byod['process_s']:.2f}", f"{dt['run_s'] / byod['run_s']:.2f}"]
        print(f"| {size} | {engine} | {docs} | {cold:.1f} | {s:.1f} | {r.get('jvm_s', 0):.1f} | {docs / cold:.0f} | "
              f"{mb / cold:.2f} | {r['tokens'] / cold:,.0f} | {r['peak_bytes'] / 2**30:.2f} | "
              f"{r.get('peak_pss_bytes', 0) / 2**30:.2f} | {r['kept']} | "
              f"{r['tokens']:,} | {r['dedup']['precision']:.3f} | {r['dedup']['recall']:.3f} | {ratios[0]} | "
              f"{ratios[1]} |")
    print("cold s: the whole child process (imports, JVM start, tokenizer loads, the run), what a user waits for;"
          " run s: the job call alone (byod without its JVM start); docs/s, MB/s and tokens/s are on cold s")
    for (size, engine), r in sorted(rows.items()):
        print(f"{size} MB {engine}: steps " + ", ".join(f"{t['step']} {t['seconds']:.1f}" for t in r["timings"])
              + f"; child process {r['process_s']:.1f} s; dedup {r['dedup']}")
        if engine == "byod":
            print(f"{size} MB byod tokenize+write {r['write_s']:.1f} s vs raw encode_batch_fast {r['raw_s']:.1f} s "
                  f"on the same {r['kept']} kept texts: {r['raw_s'] / r['write_s']:.2f} of the ceiling; "
                  f"tokens byod {r['tokens']:,} = raw {r['raw_tokens']:,} + one BOS per kept doc: "
                  f"{r['tokens'] == r['raw_tokens'] + r['kept']}")
    for engine in ("byod", "datatrove"):
        sizes = sorted(s for s, e in rows if e == engine)
        if len(sizes) > 1:
            lo, hi = rows[(sizes[0], engine)], rows[(sizes[-1], engine)]
            print(f"scaling {engine} {sizes[0]} -> {sizes[-1]} MB ({sizes[-1] / sizes[0]:.0f}x input): cold "
                  f"{hi['process_s'] / lo['process_s']:.2f}x, run {hi['run_s'] / lo['run_s']:.2f}x, peak memory "
                  f"{hi['peak_bytes'] / lo['peak_bytes']:.2f}x ({lo['peak_bytes'] / 2**30:.2f} -> "
                  f"{hi['peak_bytes'] / 2**30:.2f} GiB RSS; PSS {lo.get('peak_pss_bytes', 0) / 2**30:.2f} -> "
                  f"{hi.get('peak_pss_bytes', 0) / 2**30:.2f} GiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20", help="comma-separated input sizes in MB of text")
    parser.add_argument("--engines", default="byod,datatrove")
    parser.add_argument("--driver-memory", help="byod's spark.driver.memory (default: byod sizes it from the machine)")
    parser.add_argument("--tag", default="", help="suffix of the stored results, to keep a variant beside the default")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.driver_memory:
        os.environ["BYOD_BENCH_DRIVER_MEMORY"] = args.driver_memory  # the child reads it
    if args.tag:
        global RESULTS
        RESULTS = ROOT / f"results-{args.tag}"
    tok = tokenizer_folder(ROOT / "tokenizers")
    for size in (int(s) for s in args.sizes.split(",")):
        for engine in args.engines.split(","):
            r = measure(size, engine, tok)
            print(f"{size} MB {engine}: {r['run_s']:.1f} s, kept {r['kept']}, tokens {r['tokens']:,}", flush=True)
    print_tables()


if __name__ == "__main__":
    main()
