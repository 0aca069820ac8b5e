"""A c4_arxiv run in its own process, and SIGKILL at a chosen point: shared by the crash-safety and resume tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def c4_arxiv_command(inputs: Path, output: Path, tokenizer: Path, *extra: str) -> list[str]:
    """`byod run c4_arxiv` over ``inputs`` with Normalize + Dedup, 8 MDS partitions, uncompressed shards."""
    return [sys.executable, "-m", "byod.cli", "run", "c4_arxiv", f"output={output}",
            f"sources=[{{name: web, format: c4, paths: ['{inputs}']}}]", "stages=[{stage: Normalize}, {stage: Dedup}]",
            f"tokenize.tokenizer={tokenizer}", "tokenize.max_seq_len=512", "tokenize.num_partitions=8",
            "mds.compression=null", *extra]


def kill_when(command: list[str], env: dict[str, str], appears: Callable[[], bool]) -> None:
    """Start the run, SIGKILL its process group as soon as ``appears()`` holds."""
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 600
    while not appears() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before the point where it was to be killed"
    assert appears(), "the run never reached the point where it was to be killed within 10 minutes"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
