"""Two runs on one output and a full disk, as an unlucky operator meets them (slow: real processes)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.corpus import real_web_docs

REPO = Path(__file__).resolve().parents[2]


def _write_inputs(folder: Path, docs: list[dict]) -> Path:
    folder.mkdir(parents=True)
    with gzip.open(folder / "part-0.jsonl.gz", "wt", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps({"text": doc["text"], "url": doc["url"]}) + "\n")
    return folder


def _command(inputs: Path, output: Path, tokenizer: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "byod.cli", "run", "c4_arxiv", f"output={output}",
            f"sources=[{{name: web, format: c4, paths: ['{inputs}']}}]", "stages=[{stage: Normalize}]",
            f"tokenize.tokenizer={tokenizer}", "tokenize.max_seq_len=256", "mds.compression=null", *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
            "BYOD_SPARK_MASTER": "local[1]"}


@pytest.mark.slow
def test_two_runs_on_one_output_never_mix(tmp_path, corpora, tokenizer_dirs):
    docs = real_web_docs(corpora)
    inputs = {"a": _write_inputs(tmp_path / "a", docs[:60]), "b": _write_inputs(tmp_path / "b", docs[60:100])}
    output = tmp_path / "shared-out"
    procs = {}
    for name, folder in inputs.items():
        procs[name] = subprocess.Popen(_command(folder, output, tokenizer_dirs["llama3"]), cwd=REPO, env=_env(),
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
    results = {name: (proc.wait(timeout=600), proc.stderr.read()) for name, proc in procs.items()}
    winners = [name for name, (code, _) in results.items() if code == 0]
    assert len(winners) == 1, results
    loser = "b" if winners == ["a"] else "a"
    code, stderr = results[loser]
    lines = [line for line in stderr.splitlines() if line.startswith("byod: error:")]
    assert code == 2 and len(lines) == 1 and "is in use by run" in lines[0], stderr[-2000:]
    report = json.loads((output / "report.json").read_text())
    assert report["run"]["inputs"][0]["paths"] == [str(inputs[winners[0]])]
    assert report["totals"]["in"] == {"a": 60, "b": 40}[winners[0]]


@pytest.mark.slow
def test_a_full_disk_stops_the_run_in_one_line_and_keeps_the_previous_results(tmp_path, corpora, tokenizer_dirs):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        docs = real_web_docs(corpora)
        small = _write_inputs(tmp_path / "small", docs[:40])
        large = _write_inputs(tmp_path / "large", docs * 4)
        output = disk / "out"
        first = subprocess.run(_command(small, output, tokenizer_dirs["llama3"]), cwd=REPO, env=_env(),
                               capture_output=True, text=True, timeout=600)
        assert first.returncode == 0, first.stderr[-3000:]
        before = {p: p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file() and p.name != "_byod.json"}
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * max(free - 3 * 2**20, 0))  # leave 3 MiB: less than the run needs
        full = subprocess.run(_command(large, output, tokenizer_dirs["llama3"], "overwrite=true"), cwd=REPO,
                              env=_env(), capture_output=True, text=True, timeout=600)
        lines = [line for line in full.stderr.splitlines() if line.startswith("byod: error:")]
        assert full.returncode == 2 and len(lines) == 1 and "the disk is full" in lines[0], full.stderr[-3000:]
        after = {p: p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file() and p.name != "_byod.json"
                 and p.relative_to(output).parts[0] not in ("_work", "_staging")}
        assert after == before, "a run that hit a full disk changed the published results"
        json.loads((output / "report.json").read_text())  # whole, parseable
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
