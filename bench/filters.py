"""byod's filter chain on local Spark vs the same chain in DataTrove 0.9.0's LocalPipelineExecutor.

Chain: Normalize -> C4 quality -> Gopher quality -> Gopher repetition -> FineWeb quality, both with
2 workers on the same JSONL input (web_public documents repeated with a varying header line until
``--mb`` MB). DataTrove has no normalizer, so its chain runs byod's pure ``Normalize.normalize`` in a
step of its own: the same work on both sides. byod's JVM start and a warm-up run are excluded from
its time; DataTrove's timed run includes its worker start (each run spawns fresh processes). Kept
document counts are compared as the answer check.

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


def run_byod(folder: Path, warm: Path, repeats: int) -> tuple[list[float], int]:
    from byod.spark import get_spark

    spark = get_spark("local[2]", conf={"spark.sql.files.maxPartitionBytes": str(4 << 20),
                                        "spark.python.worker.reuse": "true"})

    def once(path: Path) -> tuple[float, int]:
        start = time.perf_counter()
        df = spark.read.json(str(path))
        for stage in byod_chain():
            df = df.transform(stage)
        kept = df.count()
        return time.perf_counter() - start, kept

    once(warm)
    runs = [once(folder) for _ in range(repeats)]
    return [r[0] for r in runs], runs[0][1]


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
        byod_times, byod_kept = run_byod(work / "input", work / "warm", args.repeats)
        dt_times, dt_kept = run_datatrove(work / "input", work, args.repeats)
    import importlib.metadata

    import pyspark

    rows = [("byod (Spark local[2])", statistics.median(byod_times), byod_kept, f"pyspark {pyspark.__version__}"),
            ("DataTrove (2 workers)", statistics.median(dt_times), dt_kept, f"datatrove {importlib.metadata.version('datatrove')}")]
    print(f"input: {docs} docs, {size / 1e6:.1f} MB of text, cores: {os.cpu_count()}")
    print(f"{'engine':24} {'seconds':>8} {'docs/s':>9} {'MB/s':>7} {'kept':>7}  version")
    for name, seconds, kept, version in rows:
        print(f"{name:24} {seconds:8.1f} {docs / seconds:9.0f} {size / 1e6 / seconds:7.2f} {kept:7d}  {version}")
    print(f"ratio byod/DataTrove throughput: {rows[1][1] / rows[0][1]:.2f}x; "
          f"kept-count agreement: {min(byod_kept, dt_kept) / max(byod_kept, dt_kept, 1):.2%}")


if __name__ == "__main__":
    main()
