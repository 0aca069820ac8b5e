"""The README's "Running jobs" commands, run as a user would paste them: each line from the README itself,
with only the output folder and the tokenizer folder pointed at this test's own (no shell involved)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden.summary import _digest_samples

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
README_OUTPUT, README_TOKENIZER = "/tmp/byod-out", ".cache/tokenizers/llama3"

pytestmark = pytest.mark.slow


def readme_commands() -> list[list[str]]:
    """The bash block under '## Running jobs': continuation lines joined, comments dropped, split like a shell."""
    section = README.read_text().split("## Running jobs", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    joined = re.sub(r"\\\n\s*", " ", block)
    return [shlex.split(line, comments=True) for line in joined.splitlines() if shlex.split(line, comments=True)]


def test_the_readme_block_is_what_this_test_runs():
    commands = readme_commands()
    assert [c[0] for c in commands] == ["byod", "byod", "spark-submit", "byod", "byod", "byod"]
    assert [c[1] for c in commands if c[0] == "byod"] == ["jobs", "run", "validate", "inspect", "report"]
    assert all(README_OUTPUT in " ".join(c) for c in commands[1:])


def test_readme_running_jobs_commands_run_as_written(tmp_path, tokenizer_dirs):
    output, tokenizer = tmp_path / "out", tokenizer_dirs["llama3"]
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1", "HF_HUB_OFFLINE": "1"}
    golden = json.loads((REPO / "tests" / "golden" / "c4_arxiv.json").read_text())
    reports, digests = [], []
    for command in readme_commands():
        argv = [arg.replace(README_OUTPUT, str(output)).replace(README_TOKENIZER, str(tokenizer)) for arg in command]
        done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
        printed = done.stdout + done.stderr
        assert done.returncode == 0, f"{shlex.join(command)}\n{printed[-3000:]}"
        if command[:2] == ["byod", "jobs"]:
            assert "c4_arxiv" in done.stdout and "ft_data_prep" in done.stdout
        if command[0] == "spark-submit" or command[:2] == ["byod", "run"]:
            reports.append(json.loads((output / "report.json").read_text()))
            digests.append(_digest_samples(str(output / "mds" / "train")))
        if command[:2] == ["byod", "inspect"]:
            assert done.stdout.strip(), printed[-2000:]
    # byod run and spark-submit of the same config: the golden counts, the same shards, two runs
    assert [r["totals"] for r in reports] == [golden["totals"]] * 2
    assert digests[0] == digests[1] and reports[0]["run"]["run_id"] != reports[1]["run"]["run_id"]
    assert (output / "report.html").stat().st_mtime >= (output / "report.json").stat().st_mtime
