"""The byod command when things go wrong (byod/cli.py): one-line user errors with exit 2, other failures
one line with exit 1 (the traceback only with --debug), --version/-V, -v/-q log levels, "did you mean"
for job names, and `byod report` / `validate` / `inspect` on missing or malformed files.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FAILING_JOB = '''
"""A job whose run fails with an error byod does not know (a bug, a lost executor)."""
import logging
from dataclasses import dataclass

from byod.job import JobConfig

log = logging.getLogger("byod.jobs.failing")


@dataclass
class Config(JobConfig):
    output: str = ""


def plan(cfg, origin):
    return None


def run(cfg, ctx, planned):
    log.debug("debug detail from the job")
    log.info("info line from the job")
    raise RuntimeError("the executor went away\\nsecond line of the message")
'''


def _byod(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    merged = {**os.environ, "BYOD_JOBS_DIR": str(REPO / "jobs"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "byod.cli", *args], cwd=cwd, env=merged, capture_output=True,
                          text=True, timeout=120)


def _one_error_line(out: subprocess.CompletedProcess, code: int = 2) -> str:
    assert out.returncode == code, (out.returncode, out.stderr)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("byod: error: "), out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


def test_version_names_byod_spark_and_python_without_starting_spark():
    import pyspark

    from byod import __version__

    # With no Java and no Spark home, starting Spark would fail: the version must come without it.
    env = {"JAVA_HOME": "/nonexistent", "SPARK_HOME": "/nonexistent", "PATH": "/nonexistent"}
    for flag in ("--version", "-V"):
        out = _byod(flag, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == (f"byod {__version__} (Spark {pyspark.__version__}, "
                                      f"Python {platform.python_version()})")


def _malformed_reports(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Report paths a user may pass, each with the text its error must hold."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "report.json").write_text('{"totals": {"in": 1,')
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "report.json").write_text("[1, 2]")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    return {"missing": ("/nonexistent/run", "/nonexistent/run/report.json"),
            "empty": (str(tmp_path / "empty"), "report.json"),
            "bad json": (str(tmp_path / "bad"), "not valid JSON"),
            "not a report": (str(tmp_path / "list"), "not a byod report"),
            "binary": (str(tmp_path / "binary.json"), "binary.json")}


@pytest.mark.parametrize("case", ["missing", "empty", "bad json", "not a report", "binary"])
def test_report_on_a_missing_or_malformed_report_is_one_line_exit_2(case, tmp_path):
    path, expected = _malformed_reports(tmp_path)[case]
    line = _one_error_line(_byod("report", path))
    assert expected in line, line
    assert not list(tmp_path.rglob("report.html")), "nothing may be written for a bad report"


def _malformed_datasets(tmp_path: Path) -> dict[str, tuple[str, str]]:
    (tmp_path / "not-json").mkdir()
    (tmp_path / "not-json" / "index.json").write_text("{'version': 2")
    (tmp_path / "no-shards").mkdir()
    (tmp_path / "no-shards" / "index.json").write_text('{"version": 2}')
    (tmp_path / "bad-entry").mkdir()
    (tmp_path / "bad-entry" / "index.json").write_text('{"version": 2, "shards": [{"format": "mds"}]}')
    (tmp_path / "index-is-dir" / "index.json").mkdir(parents=True)
    return {"missing": ("/nonexistent/mds", "/nonexistent/mds"),
            "not json": (str(tmp_path / "not-json"), "not-json"),
            "no shards": (str(tmp_path / "no-shards"), "no-shards"),
            "bad shard entry": (str(tmp_path / "bad-entry"), "bad-entry"),
            "index is a folder": (str(tmp_path / "index-is-dir"), "index-is-dir")}


@pytest.mark.parametrize("command", ["validate", "inspect"])
@pytest.mark.parametrize("case", ["missing", "not json", "no shards", "bad shard entry", "index is a folder"])
def test_validate_and_inspect_on_a_missing_or_malformed_dataset_are_one_line_exit_2(command, case, tmp_path):
    path, expected = _malformed_datasets(tmp_path)[case]
    line = _one_error_line(_byod(command, path))
    assert expected in line, line


def test_unknown_job_suggests_the_closest_names():
    line = _one_error_line(_byod("run", "c4_arxi"))
    assert "unknown job 'c4_arxi'; did you mean 'c4_arxiv'?" in line and "ft_data_prep" in line
    far = _one_error_line(_byod("run", "zzz"))
    assert "unknown job 'zzz'" in far and "did you mean" not in far


def test_unknown_command_and_option_are_one_line_exit_2():
    assert "invalid choice: 'rn'" in _one_error_line(_byod("rn"))
    assert "unrecognized arguments: --nope" in _one_error_line(_byod("jobs", "--nope"))


@pytest.fixture()
def failing_job(tmp_path) -> tuple[dict[str, str], str]:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "failing.py").write_text(FAILING_JOB)
    return {"BYOD_JOBS_DIR": str(jobs)}, f"output={tmp_path / 'out'}"


def test_an_unexpected_error_in_run_is_one_line_exit_1_and_a_traceback_with_debug(failing_job):
    env, output = failing_job
    out = _byod("run", "failing", output, env=env)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last == ("byod: error: RuntimeError: the executor went away (rerun with --debug for the traceback)")
    debug = _byod("run", "failing", output, "--debug", env=env)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and 'raise RuntimeError("the executor' in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == "byod: error: RuntimeError: the executor went away"


@pytest.mark.parametrize("flags, shown, hidden", [
    ([], ["info line from the job"], ["debug detail from the job"]),
    (["-v"], ["info line from the job", "debug detail from the job"], []),
    (["-q"], [], ["info line from the job", "debug detail from the job"]),
])
def test_verbose_and_quiet_set_the_log_level(flags, shown, hidden, failing_job):
    env, output = failing_job
    for placed in (["run", "failing", output, *flags], [*flags, "run", "failing", output]):
        out = _byod(*placed, env=env)
        assert out.returncode == 1, out.stderr
        for text in shown:
            assert text in out.stderr, (placed, out.stderr)
        for text in hidden:
            assert text not in out.stderr, (placed, out.stderr)


def test_user_error_traceback_only_with_debug(tmp_path):
    quiet = _one_error_line(_byod("report", str(tmp_path)))
    assert "no report at" in quiet
    debug = _byod("report", str(tmp_path), "--debug")
    assert debug.returncode == 2 and "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == quiet


def test_first_line_of_a_java_error_is_its_own_message(spark):
    from py4j.protocol import Py4JJavaError

    from byod.cli import first_line

    # pyspark turns known JVM errors into its own classes; an unknown one stays a raw Py4JJavaError
    with pytest.raises(Py4JJavaError) as raised:
        spark._jvm.java.lang.Class.forName("no.such.Clazz")
    assert str(raised.value).splitlines()[0].startswith("An error occurred while calling")
    assert first_line(raised.value) == "java.lang.ClassNotFoundException: no.such.Clazz"
    assert first_line(ValueError("")) == ""
    assert json.loads(json.dumps(first_line(RuntimeError("a\nb")))) == "a"
