"""Crash safety: a run killed while writing MDS leaves no root index.json (nothing that looks complete),
and a rerun with overwrite=true produces a dataset identical to an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.golden.summary import _digest_samples
from tests.helpers.corpus import varied_copies

REPO = Path(__file__).resolve().parents[2]


def _command(inputs: Path, output: Path, tokenizer: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "byod.cli", "run", "c4_arxiv", f"output={output}",
            f"sources=[{{name: web, format: c4, paths: ['{inputs}']}}]", "stages=[{stage: Normalize}]",
            f"tokenize.tokenizer={tokenizer}", "tokenize.max_seq_len=512", "tokenize.num_partitions=8",
            "mds.compression=null", *extra]


@pytest.mark.slow
def test_killed_run_leaves_no_index_and_rerun_matches_clean_run(tmp_path, corpora, tokenizer_dirs):
    inputs = tmp_path / "in"
    varied_copies(corpora, inputs, copies=6)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "BYOD_SPARK_MASTER": "local[2]"}
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_command(inputs, killed, tokenizer_dirs["llama3"]), cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600
    staging = killed / "mds" / "_staging"
    while not staging.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before MDS writing started; nothing was killed"
    assert staging.exists(), "MDS writing never started within 10 minutes"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert not (killed / "mds" / "index.json").exists(), "a killed run left a root index.json"
    assert not (killed / "report.json").exists()

    rerun = subprocess.run(_command(inputs, killed, tokenizer_dirs["llama3"], "overwrite=true"), cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    clean = tmp_path / "clean"
    uninterrupted = subprocess.run(_command(inputs, clean, tokenizer_dirs["llama3"]), cwd=REPO, env=env,
                                   capture_output=True, text=True, timeout=900)
    assert uninterrupted.returncode == 0, uninterrupted.stderr[-3000:]
    samples, digest = _digest_samples(str(killed / "mds"))
    assert samples > 50
    assert (samples, digest) == _digest_samples(str(clean / "mds"))
    assert not (killed / "mds" / "_staging").exists()
