"""A real Spark standalone cluster on this machine (scripts/cluster.sh: a master and two 1-core workers):
c4_arxiv submitted with `spark-submit --master spark://...`, as a cluster user runs it, writes the same
samples and counts as `byod run` in local mode; the script's start/status/stop; and spark-submit against
a master nobody listens on fails in one line naming it, instead of retrying for a minute."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pyspark
import pytest

from byod.spark import driver_memory_mb, format_memory, local_task_slots, machine_cores, machine_memory_mb
from tests.golden.summary import summarize

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # not resolved: the venv's bin, where spark-submit and byod live
SCRIPT = REPO / "scripts" / "cluster.sh"
JOB_ARGS = ["tokenize.max_seq_len=128"]  # short samples: many of them, so the digest compares a lot


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1", "HF_HUB_OFFLINE": "1", **extra}
    for key in ("BYOD_SPARK_MASTER", "PYSPARK_GATEWAY_PORT"):
        env.pop(key, None)
    return env


class PeakRss:
    """Polls the summed RSS of some processes and all their descendants; ``peak`` in bytes."""

    def __init__(self, roots):
        self.roots, self.peak, self._done = roots, 0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.wait(0.25):
            total = 0
            for root in self.roots():
                try:
                    tree = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in tree:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak / 2**30


def _timed(cmd: list[str], env: dict[str, str], extra_roots=()) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``cmd``; its wall seconds and the peak RSS (GiB) of its process tree plus ``extra_roots``' trees."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    meter = PeakRss(lambda: [psutil.Process(proc.pid), *extra_roots])
    try:
        out, err = proc.communicate(timeout=400)
    finally:
        proc.kill()
        peak = meter.stop()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), time.perf_counter() - started, peak


def _summary(output: Path) -> dict:
    return summarize(str(output), json.loads((output / "report.json").read_text()))


def _cluster(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), command], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=240)


@pytest.mark.slow
def test_spark_submit_on_a_standalone_cluster_writes_what_local_mode_writes(tmp_path, tokenizer_dirs):
    home, port = tmp_path / "cluster", _free_port()
    env = _env(BYOD_CLUSTER_DIR=str(home), BYOD_CLUSTER_PORT=str(port), BYOD_CLUSTER_UI_PORT=str(_free_port()),
               BYOD_VENV=str(VENV_BIN.parent))
    url = f"spark://127.0.0.1:{port}"
    tokenizer = f"tokenize.tokenizer={tokenizer_dirs['llama3']}"
    daemons: list[psutil.Process] = []
    started = _cluster("start", env)
    try:
        assert started.returncode == 0 and f"cluster started at {url}" in started.stdout, started.stderr
        assert _cluster("status", env).returncode == 0
        again = _cluster("start", env)
        assert again.returncode == 0 and "already running" in again.stdout
        daemons = [psutil.Process(int((home / f"{name}.pid").read_text())) for name in ("master", "worker-1",
                                                                                        "worker-2")]
        submitted, cluster_s, cluster_gib = _timed(
            [str(VENV_BIN / "spark-submit"), "--master", url, "jobs/c4_arxiv.py", f"output={tmp_path / 'cluster-out'}",
             tokenizer, *JOB_ARGS], env, daemons)
        assert submitted.returncode == 0, (submitted.stdout + submitted.stderr)[-4000:]
    finally:
        stopped = _cluster("stop", env)
    assert "stopped master" in stopped.stdout and _cluster("status", env).returncode == 3
    assert not [d for d in daemons if d.is_running() and d.status() != psutil.STATUS_ZOMBIE]
    # both workers ran an executor of this application, and tasks ran there
    executor_logs = [list((home / "work" / f"worker-{i}").glob("app-*/*/stderr")) for i in (1, 2)]
    assert all(len(logs) == 1 for logs in executor_logs), executor_logs
    assert any("Running task" in log[0].read_text() for log in executor_logs)
    # spark-submit merges the Python driver's stderr into its stdout
    assert f"Spark {pyspark.__version__} on {url}: driver memory 1g, set by spark-submit" in submitted.stdout

    local, local_s, local_gib = _timed([str(VENV_BIN / "byod"), "run", "c4_arxiv", f"output={tmp_path / 'local-out'}",
                                        tokenizer, *JOB_ARGS], env)
    assert local.returncode == 0, local.stderr[-4000:]
    chosen = format_memory(driver_memory_mb(local_task_slots("local[*]", machine_cores()), machine_memory_mb()))
    assert f"driver memory {chosen} for {machine_cores()} task slots, chosen by byod" in local.stderr

    on_cluster, in_local = _summary(tmp_path / "cluster-out"), _summary(tmp_path / "local-out")
    assert in_local["samples_read_back"] > 10 and in_local["totals"]["kept"] > 0
    assert on_cluster == in_local
    print(f"\nc4_arxiv on data/sample: cluster (spark-submit, 2 workers x 1 core) {cluster_s:.1f} s, peak RSS "
          f"{cluster_gib:.2f} GiB (driver, master, workers, executors); local (byod run) {local_s:.1f} s, peak RSS "
          f"{local_gib:.2f} GiB")


@pytest.mark.slow
def test_spark_submit_to_a_master_nobody_listens_on_fails_in_one_line(tmp_path, tokenizer_dirs):
    url = f"spark://127.0.0.1:{_free_port()}"
    started = time.perf_counter()
    proc = subprocess.run([str(VENV_BIN / "spark-submit"), "--master", url, "jobs/c4_arxiv.py",
                           f"output={tmp_path / 'out'}", f"tokenize.tokenizer={tokenizer_dirs['llama3']}"],
                          cwd=REPO, env=_env(), capture_output=True, text=True, timeout=180)
    printed = proc.stdout + proc.stderr  # spark-submit merges the Python driver's stderr into its stdout
    errors = [line for line in printed.splitlines() if line.startswith("byod: error:")]
    assert proc.returncode == 2, printed[-3000:]
    assert len(errors) == 1 and url in errors[0] and "spark-submit --master" in errors[0], printed[-3000:]
    assert "Traceback" not in printed
    assert time.perf_counter() - started < 50  # Spark alone retries a dead master for 60 s before failing
