"""The byod command and job scripts: help, and one-line errors with exit code 2 before any work starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _byod(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "BYOD_JOBS_DIR": str(REPO / "jobs")}
    return subprocess.run([sys.executable, "-m", "byod.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_help_explains_the_commands():
    out = _byod("--help")
    assert out.returncode == 0
    for word in ("run", "jobs", "validate", "inspect", "report"):
        assert word in out.stdout
    run_help = _byod("run", "--help")
    assert run_help.returncode == 0 and "key=value" in run_help.stdout


def test_jobs_lists_the_shipped_jobs():
    out = _byod("jobs")
    assert out.returncode == 0
    assert "c4_arxiv" in out.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no_such_job"], "unknown job 'no_such_job'"),
        (["run", "c4_arxiv", "outptu=/tmp/x"], "unknown key 'outptu'"),
        (["run", "c4_arxiv"], "missing value for key 'tokenize.tokenizer'"),
        (["run", "c4_arxiv", "overwrite=perhaps"], "key 'overwrite'"),
        (["run", "c4_arxiv", "just-a-word"], "expected key=value"),
        (["run", "c4_arxiv", "--config", "/nonexistent/job.yaml"], "does not exist"),
        (["run", "c4_arxiv", "stages=[{stage: NoSuchStage}]", "tokenize.tokenizer=x"], "unknown stage 'NoSuchStage'"),
        (["run", "c4_arxiv", "tokenize.max_seq_len=0", "tokenize.tokenizer=x"], "tokenize"),
        (["run", "c4_arxiv", "tokenize.max_seq_lenn=5", "tokenize.tokenizer=x"], "unknown key 'tokenize.max_seq_lenn'"),
        # reader options are checked against the reader's parameters at plan time, not when Spark reads
        (["run", "c4_arxiv", "sources=[{name: c4, format: c4, paths: [data/sample/c4], options: {max_recrd_bytes: 9}}]",
          "tokenize.tokenizer=x"], "unknown key 'sources[0].options.max_recrd_bytes' (did you mean 'max_record_bytes'?)"),
        (["run", "c4_arxiv", "sources=[{name: a, format: latex, paths: [data/sample/arxiv], options: {projects: maybe}}]",
          "tokenize.tokenizer=x"], "key 'sources[0].options.projects': expected bool, got 'maybe'"),
        (["run", "ft_data_prep", "sources=[{name: ft, format: jsonl, paths: [data/sample/ft], options: {promt_column: q}}]",
          "tokenize.tokenizer=x"], "unknown key 'sources[0].options.promt_column' (did you mean 'prompt_column'?)"),
        # the sinks choose their folders: an output inside `mds` would be ignored, so it is refused
        (["run", "c4_arxiv", "mds.output=/tmp/elsewhere", "tokenize.tokenizer=x"], "unknown key 'mds.output'"),
        (["run", "c4_arxiv", "documents={format: jsonl, dropped: maybe}", "tokenize.tokenizer=x"],
         "key 'documents': dropped must be true or false"),
    ],
)
def test_bad_invocations_fail_in_one_line_before_spark(args, message, tmp_path):
    out = _byod(*args, "output=" + str(tmp_path / "out")) if args[0] == "run" and args[1] == "c4_arxiv" else _byod(*args)
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("byod: error:") and message in lines[0], lines[0]
    assert not (tmp_path / "out").exists(), "nothing may be written when the config is wrong"


@pytest.mark.slow  # a whole job run or more: CI's slow step (keeps the default suite under 15 min)
def test_missing_input_and_non_empty_output_are_clear_errors(tmp_path, tokenizer_dirs):
    tok = f"tokenize.tokenizer={tokenizer_dirs['llama3']}"
    missing = _byod("run", "c4_arxiv", tok, f"output={tmp_path / 'a'}", "sources=[{name: c4, format: c4, paths: [/no/such/dir]}]")
    assert missing.returncode == 2 and "source 'c4': input '/no/such/dir': path does not exist" in missing.stderr
    occupied = tmp_path / "b"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("precious")
    for extra in ([], ["overwrite=true"]):  # a folder byod did not make is refused, overwrite or not
        out = _byod("run", "c4_arxiv", tok, f"output={occupied}", *extra)
        assert out.returncode == 2 and "is not empty and was not made by byod (it holds keep.txt)" in out.stderr
        assert (occupied / "keep.txt").read_text() == "precious"


def test_job_script_runs_under_plain_python_with_the_same_errors(tmp_path):
    out = subprocess.run([sys.executable, str(REPO / "jobs" / "c4_arxiv.py"), "outptu=1"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("byod: error:") and "unknown key 'outptu'" in out.stderr


def test_job_script_under_spark_submit_fails_on_a_missing_key_before_spark_starts(tmp_path):
    """The README's spark-submit line without the tokenizer: one line, exit 2, and no SparkContext made."""
    spark_submit = Path(sys.executable).parent / "spark-submit"  # the venv's, beside this interpreter
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    out = subprocess.run([str(spark_submit), "--master", "local[1]", "jobs/c4_arxiv.py", f"output={tmp_path / 'o'}"],
                         cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    printed = out.stdout + out.stderr  # spark-submit may merge the Python driver's stderr into its stdout
    errors = [line for line in printed.splitlines() if line.startswith("byod: error:")]
    assert out.returncode == 2, printed[-2000:]
    assert len(errors) == 1 and "missing value for key 'tokenize.tokenizer'" in errors[0], printed[-2000:]
    assert "Traceback" not in printed and "SparkContext" not in printed and "Setting default log level" not in printed
    assert not (tmp_path / "o").exists()
