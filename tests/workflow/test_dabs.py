"""run_byod_with_DABs against a stand-in `databricks` executable first on PATH (the real CLI is a Go binary
not available on these machines): argv shape, step failures, timeouts, a missing CLI, no shell, masked token."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import pytest

from byod.errors import WorkflowError
from byod.workflow.bundle import (
    CLI_INSTALL_URL,
    BundleCLINotFoundError,
    BundleStepError,
    parse_run_url,
    run_byod_with_DABs,
)

REPO = Path(__file__).resolve().parents[2]
FAKE_CLI = Path(__file__).with_name("fake_databricks.py")
TOKEN = "dapi-FAKE-TOKEN-5f3c9e1d7b"
RUN_URL = "https://adb-123.4.azuredatabricks.net/?o=123#job/456/run/789"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """A `databricks` stand-in alone on PATH; returns a function reading the calls it recorded."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "databricks"
    body = FAKE_CLI.read_text(encoding="utf-8").split("\n", 1)[1]
    exe.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    exe.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_DATABRICKS_LOG", str(log))
    monkeypatch.setenv("FAKE_DATABRICKS_RUN_URL", RUN_URL)
    for name in (
        "FAKE_DATABRICKS_FAIL_STEP",
        "FAKE_DATABRICKS_SLEEP_S",
        "FAKE_DATABRICKS_ECHO_TOKEN",
        "FAKE_DATABRICKS_LEGACY",
        "FAKE_DATABRICKS_EXIT_CODE",
    ):
        monkeypatch.delenv(name, raising=False)

    def calls() -> list[dict]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    return calls


def test_deploy_then_run_with_variables_and_run_url(cli):
    result = run_byod_with_DABs(
        "c4_arxiv", "dev", {"output_path": "/Volumes/main/byod/out", "num_workers": 4}, bundle_dir=REPO, timeout_s=30
    )
    var_args = ["--var", "output_path=/Volumes/main/byod/out", "--var", "num_workers=4"]
    assert [c["argv"] for c in cli()] == [
        ["bundle", "deploy", "-t", "dev", *var_args],
        ["bundle", "run", "-t", "dev", *var_args, "c4_arxiv"],
    ]
    assert {c["cwd"] for c in cli()} == {str(REPO)}
    assert result.run_url == RUN_URL
    assert (result.job, result.target) == ("c4_arxiv", "dev")
    assert result.deploy.returncode == 0 and "Deployment complete!" in result.deploy.stderr
    assert result.run.returncode == 0 and "TERMINATED SUCCESS" in result.run.stdout


def test_prod_target_and_profile(cli):
    run_byod_with_DABs("ft_data_prep", target="prod", bundle_dir=REPO, timeout_s=30, profile="team-prod")
    assert [c["argv"] for c in cli()][1] == ["bundle", "run", "-t", "prod", "--profile", "team-prod", "ft_data_prep"]


@pytest.mark.parametrize(("step", "code", "expected_calls"), [("deploy", 3, 1), ("run", 7, 2)])
def test_failed_step_says_which_with_exit_code_and_output(cli, monkeypatch, step, code, expected_calls):
    monkeypatch.setenv("FAKE_DATABRICKS_FAIL_STEP", step)
    monkeypatch.setenv("FAKE_DATABRICKS_EXIT_CODE", str(code))
    with pytest.raises(BundleStepError) as info:
        run_byod_with_DABs("c4_arxiv", bundle_dir=REPO, timeout_s=30)
    error = info.value
    assert isinstance(error, WorkflowError)
    assert (error.step, error.returncode) == (step, code)
    assert f"fake {step} failure" in error.output and f"fake {step} failure" in str(error)
    assert f"bundle {step} failed with exit code {code}" in str(error)
    assert len(cli()) == expected_calls  # a failed deploy never runs the job


def test_step_timeout_kills_the_cli(cli, monkeypatch):
    monkeypatch.setenv("FAKE_DATABRICKS_SLEEP_S", "20")
    with pytest.raises(BundleStepError, match="bundle deploy timed out") as info:
        run_byod_with_DABs("c4_arxiv", bundle_dir=REPO, timeout_s=0.5)
    assert info.value.returncode is None and info.value.step == "deploy"


def test_missing_cli_says_how_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(BundleCLINotFoundError) as info:
        run_byod_with_DABs("c4_arxiv", bundle_dir=REPO)
    assert CLI_INSTALL_URL in str(info.value) and "not the legacy PyPI package" in str(info.value)


def test_legacy_pypi_cli_gets_an_install_hint(cli, monkeypatch):
    monkeypatch.setenv("FAKE_DATABRICKS_LEGACY", "1")
    with pytest.raises(BundleStepError) as info:
        run_byod_with_DABs("c4_arxiv", bundle_dir=REPO, timeout_s=30)
    assert info.value.returncode == 2 and CLI_INSTALL_URL in str(info.value)


def test_variable_values_never_reach_a_shell(cli, tmp_path):
    marker = tmp_path / "pwned"
    value = f"x; touch {marker} $(touch {marker}) `touch {marker}`"
    run_byod_with_DABs("c4_arxiv", variables={"output_path": value}, bundle_dir=REPO, timeout_s=30)
    assert not marker.exists()
    assert cli()[0]["argv"][-1] == f"output_path={value}"  # one argv element, verbatim


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"job": "no_such_job"}, r"databricks.yml: resources.jobs.no_such_job: no such job"),
        ({"job": "c4_arxiv", "target": "staging"}, r"databricks.yml: targets.staging: no such target"),
        ({"job": "c4_arxiv", "variables": {"computer": "x"}}, r"databricks.yml: variables.computer: not declared"),
        ({"job": "c4_arxiv", "variables": {"compute": "gpu"}}, r"variables.compute: 'gpu' is not a compute kind"),
        ({"job": "c4_arxiv; rm -rf /"}, "not a valid bundle name"),
        ({"job": "c4_arxiv", "variables": {"bad name": "x"}}, "not a valid bundle name"),
        ({"job": "c4_arxiv", "timeout_s": 0}, "timeout_s must be > 0"),
    ],
)
def test_bad_arguments_fail_before_any_cli_call(cli, kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_byod_with_DABs(bundle_dir=REPO, **kwargs)
    assert cli() == []


def test_variable_of_unsupported_type_is_a_type_error(cli):
    with pytest.raises(TypeError, match="variable 'output_path' must be a str"):
        run_byod_with_DABs("c4_arxiv", variables={"output_path": ["a"]}, bundle_dir=REPO)


def test_bundle_dir_without_databricks_yml(cli, tmp_path):
    with pytest.raises(ValueError, match="no databricks.yml"):
        run_byod_with_DABs("c4_arxiv", bundle_dir=tmp_path)


def test_token_is_masked_in_results_errors_and_logs(cli, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FAKE_DATABRICKS_ECHO_TOKEN", "1")
    result = run_byod_with_DABs("c4_arxiv", bundle_dir=REPO, timeout_s=30, env={"DATABRICKS_TOKEN": TOKEN})
    assert "using token ***" in result.deploy.stdout
    monkeypatch.setenv("FAKE_DATABRICKS_FAIL_STEP", "run")
    with pytest.raises(BundleStepError) as info:
        run_byod_with_DABs("c4_arxiv", bundle_dir=REPO, timeout_s=30, env={"DATABRICKS_TOKEN": TOKEN})
    for text in (str(result), repr(result), str(info.value), repr(info.value), info.value.output, caplog.text):
        assert TOKEN not in text
    assert "DATABRICKS_TOKEN" not in os.environ or os.environ["DATABRICKS_TOKEN"] != TOKEN


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (f"Run URL: {RUN_URL}\n\n2026-01-01 RUNNING", RUN_URL),
        (
            "see https://dbc-1.cloud.databricks.com/jobs/12/runs/34 for details",
            "https://dbc-1.cloud.databricks.com/jobs/12/runs/34",
        ),
        ("Deployment complete!", None),
    ],
)
def test_parse_run_url(text, url):
    assert parse_run_url(text) == url


def test_bundle_dir_defaults_to_the_current_directory(cli, monkeypatch):
    monkeypatch.chdir(REPO)
    run_byod_with_DABs("c4_arxiv", timeout_s=30)
    assert [c["cwd"] for c in cli()] == [str(REPO), str(REPO)]
