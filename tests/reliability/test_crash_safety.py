"""Crash safety: a run killed during dedup or while writing MDS leaves the previous good results as they
were (nothing half-published), and the next run with overwrite=true produces a dataset identical to an
uninterrupted run."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden.summary import _digest_samples
from tests.helpers.corpus import varied_copies
from tests.helpers.killed_runs import REPO, c4_arxiv_command, kill_when


def _published(output: Path) -> dict[str, str]:
    return {str(p.relative_to(output)): hashlib.sha256(p.read_bytes()).hexdigest()
            for name in ("mds", "quarantine", "report.json", "report.html") for p in sorted(
                [output / name] if (output / name).is_file() else (output / name).rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_killed_runs_keep_the_previous_results_and_a_rerun_matches_a_clean_run(tmp_path, corpora, tokenizer_dirs):
    inputs = tmp_path / "in"
    varied_copies(corpora, inputs, copies=6)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "BYOD_SPARK_MASTER": "local[2]"}
    output = tmp_path / "out"
    command = c4_arxiv_command(inputs, output, tokenizer_dirs["llama3"])
    clean = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert clean.returncode == 0, clean.stderr[-3000:]
    samples, digest = _digest_samples(str(output / "mds"))
    assert samples > 50
    before = _published(output)
    first_run = json.loads((output / "report.json").read_text())["run"]["run_id"]

    def dedup_started() -> bool:
        return any(output.glob("_work/*/dedup"))

    def mds_writing() -> bool:
        return any(output.glob("_staging/*/mds/*/_staging"))

    for appears in (dedup_started, mds_writing):
        kill_when([*command, "overwrite=true"], env, appears)
        assert _published(output) == before, f"a run killed at {appears.__name__} changed the published results"
        assert json.loads((output / "report.json").read_text())["run"]["run_id"] == first_run

    rerun = subprocess.run([*command, "overwrite=true"], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _digest_samples(str(output / "mds")) == (samples, digest)
    assert json.loads((output / "report.json").read_text())["run"]["run_id"] != first_run
    left = {p.name for p in output.iterdir()}
    assert {"_byod.json", "mds", "report.html", "report.json"} <= left
    assert not left & {"_staging", "_work", "_trash", "_byod.lock"}, left
