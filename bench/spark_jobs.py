"""Where a c4_arxiv run spends its Spark jobs: every job's start, the gap before it and its duration.

Runs the e2e bench's byod chain on a corpus ``bench/e2e.py`` built (``/tmp/byod-e2e/corpus-<MB>``) in
this process with the Spark UI on, then lists the jobs from the UI's REST API. Many short jobs with
gaps between them are fixed cost (planning, scheduling, Parquet commits), not work on the data.

    flock /tmp/byod-spark.lock .venv/bin/python bench/spark_jobs.py --size 20
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import ROOT, SEQ, STAGES  # noqa: E402

UI_PORT = 4077


def _when(text: str) -> datetime:
    return datetime.strptime(text.replace("GMT", ""), "%Y-%m-%dT%H:%M:%S.%f")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20, help="corpus size in MB (built by bench/e2e.py)")
    args = parser.parse_args()
    from byod.runner import run_job
    from byod.spark import get_spark

    corpus = ROOT / f"corpus-{args.size}" / "data"
    if not corpus.is_dir():
        raise SystemExit(f"{corpus} is missing: run bench/e2e.py --sizes {args.size} first")
    os.environ["BYOD_SPARK_MASTER"] = "local[2]"
    get_spark("local[2]", conf={"spark.ui.enabled": "true", "spark.ui.port": str(UI_PORT)})
    started = time.perf_counter()
    report = run_job("c4_arxiv", overrides={
        "output": f"/tmp/byod-spark-jobs-{args.size}", "overwrite": True, "stages": STAGES,
        "sources": [{"name": "c4", "format": "c4", "paths": [str(corpus)]}],
        "tokenize": {"tokenizer": str(ROOT / "tokenizers" / "llama3"), "max_seq_len": SEQ, "eos_text": ""}})
    print(f"run_job {time.perf_counter() - started:.1f} s; steps: "
          + ", ".join(f"{t['step']} {t['seconds']:.1f}" for t in report["timings"]))
    api = f"http://127.0.0.1:{UI_PORT}/api/v1/applications"
    app = json.load(urllib.request.urlopen(api))[0]["id"]
    jobs = sorted(json.load(urllib.request.urlopen(f"{api}/{app}/jobs")), key=lambda j: j["jobId"])
    first, previous_end, busy = None, None, 0.0
    for job in jobs:
        begin, end = _when(job["submissionTime"]), _when(job["completionTime"])
        first = first or begin
        gap = (begin - previous_end).total_seconds() if previous_end else 0.0
        busy += (end - begin).total_seconds()
        previous_end = end
        print(f"{job['jobId']:4d} at {(begin - first).total_seconds():7.2f} s  gap {gap:5.2f}  "
              f"took {(end - begin).total_seconds():6.2f}  tasks {job['numTasks']:4d}  {job['name'][:70]}")
    print(f"{len(jobs)} jobs, {busy:.1f} s inside jobs")


if __name__ == "__main__":
    main()
