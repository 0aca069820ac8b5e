"""Run a byod job in a fresh process on a chosen cluster shape and print its golden summary as JSON.

usage: python tests/reliability/run_job_in.py MODE JOB OUTPUT [key=value ...]
MODE: classic (local[2]), connect (Spark Connect, remote local[2]), cluster (local-cluster[2,1,1024]:
two executor processes), none (no session built here: the job builds its own, as `byod run` does).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def session(mode: str):
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if mode == "connect":
        return SparkSession.builder.remote("local[2]").getOrCreate()
    master = {"classic": "local[2]", "cluster": "local-cluster[2,1,1024]"}[mode]
    builder = (SparkSession.builder.master(master).config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4").config("spark.executor.memory", "1g")
               .config("spark.sql.session.timeZone", "UTC"))
    return builder.getOrCreate()


if __name__ == "__main__":
    mode, job, output, *overrides = sys.argv[1:]
    if mode != "none":
        session(mode)
    from byod.runner import run_job
    from tests.golden.summary import summarize

    report = run_job(job, overrides=[f"output={output}", *overrides])
    mds = output + "/mds" if (Path(output) / "mds" / "index.json").exists() else output + "/mds/train"
    summary = summarize(output, report) if job == "c4_arxiv" else report["totals"]
    print("BYOD-SUMMARY " + json.dumps(summary, sort_keys=True))
