"""After ``pip install byod`` (a built wheel, not this checkout): the jobs ship inside the package, so
``byod jobs`` lists them and ``run_local("c4_arxiv", ...)`` runs from a folder that holds no checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """byod installed from a wheel built from this checkout into a folder of its own (dependencies: this venv's)."""
    target = tmp_path_factory.mktemp("site")
    build = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                            "--no-index", "--target", str(target), str(REPO)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    assert (target / "byod" / "jobs" / "c4_arxiv.py").is_file() and not (target / "byod" / "__editable__").exists()
    return target


def _python(site: Path, cwd: Path, code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BYOD_JOBS_DIR"}
    env.update(PYTHONPATH=str(site), PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_installed_package_lists_and_runs_its_jobs_without_a_checkout(installed, tmp_path, tokenizer_dirs):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = _python(installed, elsewhere, "import sys, byod; from byod.cli import main; "
                     "print(byod.__file__); sys.argv = ['byod', 'jobs']; main()")
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert listed.stdout.splitlines()[0].startswith(str(installed))  # the wheel's byod, not the checkout's
    assert "c4_arxiv" in listed.stdout and "ft_data_prep" in listed.stdout
    overrides = {"output": str(tmp_path / "out"), "tokenize.tokenizer": str(tokenizer_dirs["llama3"]),
                 "sources": [{"name": "c4", "format": "c4", "paths": [str(REPO / "data/sample/c4")]},
                             {"name": "arxiv", "format": "latex", "paths": [str(REPO / "data/sample/arxiv")]}]}
    ran = _python(installed, elsewhere, "import json, byod; from byod.workflow import run_local; "
                  f"r = run_local('c4_arxiv', {overrides!r}); print(json.dumps(r['totals']))")
    assert ran.returncode == 0, ran.stderr[-3000:]
    totals = json.loads(ran.stdout.strip().splitlines()[-1])
    golden = json.loads((REPO / "tests/golden/c4_arxiv.json").read_text())["totals"]
    assert totals == golden  # the installed package reads the shipped sample as the checkout does
