"""Tokenize + pack + write MDS throughput on local[2] vs the raw ``tokenizers`` encode_batch_fast ceiling.

    python bench/tokenize_write.py [--copies 8] [--runs 3] [--tokenizer llama3]

Input: ../shared/corpora/web_public.jsonl.gz repeated ``--copies`` times (distinct ids). The raw peer encodes
the same texts in-process (Rust threads on every core). byod runs Tokenize + WriteMDS (zstd) on a cached
frame; JVM start and a warm-up run are excluded; medians of ``--runs``. Token totals are checked equal.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, PeakRSS  # noqa: E402


def _texts(copies: int) -> list[str]:
    with gzip.open(REPO.parent / "shared" / "corpora" / "web_public.jsonl.gz", "rt") as src:
        texts = [json.loads(line)["text"] for line in src]
    return texts * copies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokenizer", default="llama3")
    parser.add_argument("--max-seq-len", type=int, default=2048)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from tests.helpers.tokenizers import offline_tokenizer_dirs

    work = Path(tempfile.mkdtemp(prefix="byod-bench-"))
    folder = str(offline_tokenizer_dirs(work / "tok")[args.tokenizer])
    texts = _texts(args.copies)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6

    from byod.tokenizers import TokenizerSpec, load_tokenizer, prepare_tokenizer

    tok = load_tokenizer(prepare_tokenizer(TokenizerSpec(name=folder)))
    raw_times, raw_tokens = [], 0
    for _ in range(args.runs):
        start = time.perf_counter()
        raw_tokens = sum(len(ids) for i in range(0, len(texts), 256)
                         for ids in tok.encode_batch(texts[i:i + 256], add_special_tokens=True))
        raw_times.append(time.perf_counter() - start)
    raw_s = statistics.median(raw_times)

    from byod.spark import get_spark
    from byod.stages.tokenize import Tokenize
    from byod.stages.write import WriteMDS

    t0 = time.perf_counter()
    spark = get_spark("local[2]", conf={"spark.sql.shuffle.partitions": "2", "spark.driver.memory": "3g"})
    jvm_s = time.perf_counter() - t0
    docs = spark.createDataFrame([(f"{i:08d}", t) for i, t in enumerate(texts)], "id string, text string")
    docs = docs.repartition(2).cache()
    docs.count()
    stage = Tokenize(tokenizer=folder, max_seq_len=args.max_seq_len)
    sampler = PeakRSS()
    sampler.start()
    times, result = [], None
    for run in range(args.runs + 1):
        start = time.perf_counter()
        result = WriteMDS(output=str(work / "mds"), overwrite=True).write(docs.transform(stage))
        if run:  # run 0 is the warm-up (worker start, tokenizer load)
            times.append(time.perf_counter() - start)
    sampler.stop.set()
    byod_s = statistics.median(times)
    packing = result.packing
    if packing.tokens_in != raw_tokens:
        raise SystemExit(f"token totals differ: byod {packing.tokens_in}, raw {raw_tokens}")
    import pyspark
    import tokenizers

    print("| what | docs | MB in | seconds | MB/s | tokens/s | ratio to raw | cores |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| raw encode_batch_fast | {len(texts)} | {mb:.1f} | {raw_s:.2f} | {mb / raw_s:.2f} | "
          f"{raw_tokens / raw_s:,.0f} | 1.00 | {os.cpu_count()} |")
    print(f"| byod Tokenize+WriteMDS | {len(texts)} | {mb:.1f} | {byod_s:.2f} | {mb / byod_s:.2f} | "
          f"{packing.tokens_in / byod_s:,.0f} | {raw_s / byod_s:.2f} | 2 (local[2]) |")
    print(f"tokens equal: {packing.tokens_in == raw_tokens} ({raw_tokens:,}); samples {result.samples}; "
          f"shards {result.shards}; remainder dropped {packing.remainder_tokens_dropped}")
    print(f"peak RSS: process tree {sampler.peak_total / 2**20:,.0f} MiB, largest Python worker "
          f"{sampler.peak_worker / 2**20:,.0f} MiB; JVM start {jvm_s:.1f} s (excluded)")
    print(f"runs byod {[round(t, 2) for t in times]}, raw {[round(t, 2) for t in raw_times]}; "
          f"pyspark {pyspark.__version__}, tokenizers {tokenizers.__version__}, tokenizer {args.tokenizer}")
    spark.stop()


if __name__ == "__main__":
    main()
