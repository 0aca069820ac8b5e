"""byod's filter chain on local Spark vs the same chain in DataTrove 0.9.0's LocalPipelineExecutor.

Chain: Normalize -> C4 quality -> Gopher quality -> Gopher repetition -> FineWeb quality, both with
2 workers on the same JSONL input (web_public documents repeated with a varying header line until
``--mb`` MB). DataTrove has no normalizer, so its chain runs byod's pure ``Normalize.normalize`` in a
step of its own: the same work on both sides. byod's JVM start and a warm-up run are excluded from
its time; DataTrove's timed run includes its worker start (each run spawns fresh processes). Kept
document counts are compared as the answer check. byod runs three ways in turn (``BYOD_WAYS``): the
stages used alone, and a Pipeline with its neighbouring filters fused (the default) or not.

    python bench/filters.py [--mb 20] [--repeats 1]
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
from _common import CORPORA, datatrove_normalize_step, time_datatrove, write_copies  # noqa: E402


def build_input(folder: Path, megabytes: float, files: int = 4) -> tuple[int, int]:
    """Write ~``megabytes`` of JSONL over ``files`` files; return (documents, bytes of text)."""
    with gzip.open(CORPORA / "web_public.jsonl.gz", "rt", encoding="utf-8") as handle:
        base = [json.loads(line)["text"] for line in handle]
    return write_copies(folder, base, megabytes, files)


def byod_chain():
    from byod.stages.normalize import Normalize
    from byod.stages.quality import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

    return [Normalize(), C4QualityFilter(), GopherQualityFilter(), GopherRepetitionFilter(), FineWebQualityFilter()]


#: The ways byod runs the chain, timed in turn in one session: stages used alone (each drops), and a
#: Pipeline (every row annotated, then the kept ones counted) with neighbouring filters fused or not.
BYOD_WAYS = ("stages alone", "Pipeline fused", "Pipeline unfused")


def run_byod(folder: Path, warm: Path, repeats: int) -> dict[str, tuple[list[float], int]]:
    from byod import documents
    from byod.pipeline import Pipeline
    from byod.spark import get_spark

    spark = get_spark("local[2]", conf={"spark.sql.files.maxPartitionBytes": str(4 << 20),
                                        "spark.python.worker.reuse": "true"})

    def once(path: Path, way: str) -> tuple[float, int]:
        start = time.perf_counter()
        df = spark.read.json(str(path))
        if way == "stages alone":
            for stage in byod_chain():
                df = df.transform(stage)
        else:
            df = documents(df).transform(Pipeline(byod_chain(), fuse=way == "Pipeline fused"))
        kept = df.count()
        return time.perf_counter() - start, kept

    for way in BYOD_WAYS:
        once(warm, way)
    runs: dict[str, list[tuple[float, int]]] = {way: [] for way in BYOD_WAYS}
    for _ in range(repeats):  # interleaved, so a slow moment of the machine does not favour one way
        for way in BYOD_WAYS:
            runs[way].append(once(folder, way))
    return {way: ([r[0] for r in rs], rs[0][1]) for way, rs in runs.items()}


def run_datatrove(folder: Path, work: Path, repeats: int) -> tuple[list[float], int]:
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    return time_datatrove(folder, work, lambda: [datatrove_normalize_step(), C4QualityFilter(), GopherQualityFilter(),
                                                 GopherRepetitionFilter(), FineWebQualityFilter()], repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="input size in MB of text")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per engine (median reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="byod-bench-filters-") as tmp:
        work = Path(tmp)
        docs, size = build_input(work / "input", args.mb)
        build_input(work / "warm", 0.5, files=2)
        byod_runs = run_byod(work / "input", work / "warm", args.repeats)
        dt_times, dt_kept = run_datatrove(work / "input", work, args.repeats)
    import importlib.metadata

    import pyspark

    rows = [(f"byod {way}", statistics.median(times), kept, f"pyspark {pyspark.__version__}")
            for way, (times, kept) in byod_runs.items()]
    rows.append(("DataTrove (2 workers)", statistics.median(dt_times), dt_kept,
                 f"datatrove {importlib.metadata.version('datatrove')}"))
    print(f"input: {docs} docs, {size / 1e6:.1f} MB of text, cores: {os.cpu_count()}")
    print(f"{'engine':24} {'seconds':>8} {'docs/s':>9} {'MB/s':>7} {'kept':>7}  version")
    for name, seconds, kept, version in rows:
        print(f"{name:24} {seconds:8.1f} {docs / seconds:9.0f} {size / 1e6 / seconds:7.2f} {kept:7d}  {version}")
    dt_s = rows[-1][1]
    for name, seconds, kept, _ in rows[:-1]:
        print(f"{name}: {dt_s / seconds:.2f}x DataTrove's throughput; kept-count agreement "
              f"{min(kept, dt_kept) / max(kept, dt_kept, 1):.2%}")
    fused, unfused = byod_runs["Pipeline fused"], byod_runs["Pipeline unfused"]
    print(f"fused / unfused Pipeline: {statistics.median(unfused[0]) / statistics.median(fused[0]):.2f}x faster, "
          f"same kept count: {fused[1] == unfused[1]}")


if __name__ == "__main__":
    main()
