"""The laptop-vs-cluster promise: the same job on local[2], on Spark Connect (the shape of Databricks
serverless and shared clusters: no RDDs, no SparkContext) and with two separate executor processes
(local-cluster) writes identical samples and identical counts. Each run is a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "reliability" / "run_job_in.py"


def run_in(mode: str, output: Path, tokenizer: Path, *extra: str) -> dict:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    proc = subprocess.run([sys.executable, str(SCRIPT), mode, "c4_arxiv", str(output),
                           f"tokenize.tokenizer={tokenizer}", "tokenize.max_seq_len=128", *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("BYOD-SUMMARY ")]
    assert proc.returncode == 0 and lines, f"{mode} run failed:\n{proc.stderr[-4000:]}"
    return json.loads(lines[-1].removeprefix("BYOD-SUMMARY "))


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["connect", "cluster"])
def test_job_gives_the_same_shards_on_every_cluster_shape(mode, tmp_path, tokenizer_dirs):
    baseline = run_in("classic", tmp_path / "classic", tokenizer_dirs["llama3"])
    other = run_in(mode, tmp_path / mode, tokenizer_dirs["llama3"])
    assert baseline["samples_read_back"] > 0
    assert other == baseline
