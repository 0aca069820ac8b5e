"""Issue 14 case 10, Jobs API side: a host that echoes the token (in run_page_url, state messages, error
messages) must not get it into JobRunResult, JobRunError or any log record (databricks-sdk's DEBUG
round-trip log included); plain http:// hosts are refused unless loopback and explicitly allowed, before
any request, so the token never travels unencrypted. Real databricks-sdk against a local HTTP server."""

from __future__ import annotations

import logging

import pytest

from byod.errors import ConfigError
from byod.workflow.jobs_api import JobRunError, JobRunTimeoutError, run_byod_with_jobAPI
from byod.workflow.transport import check_host, is_loopback
from tests.workflow.conftest import TOKEN
from tests.workflow.fake_jobs_server import SUBMIT_RUN_ID, Scenario, run_state
from tests.workflow.test_jobs_api import JOB, SUBMIT, _run

HOSTILE = dict(echo_authorization=True, echo_token_everywhere=True)


def _no_token(*texts: object) -> None:
    for text in texts:
        assert TOKEN not in str(text), f"token leaked into: {str(text)[:300]}"


def test_echoed_token_is_masked_in_the_result_and_every_log_record(workspace, caplog):
    caplog.set_level(logging.DEBUG)  # databricks-sdk logs request/response bodies at DEBUG
    states = [run_state("RUNNING"), run_state("TERMINATED", "SUCCESS", "done")]
    with workspace(Scenario(states=states, **HOSTILE)) as server:
        result = _run(JOB, timeout_s=30)
    assert server.requests, "the server was not called"
    assert result.result_state == "SUCCESS" and result.run_id == SUBMIT_RUN_ID
    assert result.run_page_url.endswith("&token=***") and result.state_message == "done (token ***)"
    _no_token(repr(result), caplog.text, *(r.getMessage() for r in caplog.records))
    assert "databricks.sdk" in {r.name for r in caplog.records}  # the SDK's own records were seen, and masked


@pytest.mark.parametrize(("life", "result"), [("TERMINATED", "FAILED"), ("INTERNAL_ERROR", None)])
def test_echoed_token_is_masked_in_a_failed_run_error(workspace, caplog, life, result):
    caplog.set_level(logging.DEBUG)
    with workspace(Scenario(states=[run_state(life, result, "boom")], **HOSTILE)):
        with pytest.raises(JobRunError) as info:
            _run(JOB, timeout_s=30)
    error = info.value
    assert error.state == life and error.run_page_url.endswith("&token=***") and "boom (token ***)" in str(error)
    _no_token(str(error), repr(error), error.run_page_url, caplog.text, error.__context__, error.__cause__)


def test_echoed_token_is_masked_in_a_timeout_error(workspace, caplog):
    caplog.set_level(logging.DEBUG)
    with workspace(Scenario(states=[run_state("RUNNING", message="still going")], **HOSTILE)):
        with pytest.raises(JobRunTimeoutError) as info:
            _run(JOB, timeout_s=0.2)
    error = info.value
    assert error.run_page_url.endswith("&token=***") and "&token=***" in str(error)
    _no_token(str(error), error.run_page_url, caplog.text)


def test_echoed_token_in_an_http_error_is_masked_and_not_chained(workspace, caplog):
    caplog.set_level(logging.DEBUG)
    with workspace(Scenario(errors={SUBMIT: (400, "INVALID_PARAMETER_VALUE", "bad")}, **HOSTILE)):
        with pytest.raises(JobRunError) as info:
            _run(JOB, timeout_s=30)
    assert "Bearer ***" in str(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None  # the SDK error (with the token) is gone
    _no_token(str(info.value), caplog.text)


def test_loopback_http_without_the_opt_in_is_refused_before_any_request(workspace):
    with workspace() as server:
        with pytest.raises(ConfigError) as info:
            run_byod_with_jobAPI(JOB, timeout_s=30)
    message = str(info.value)
    assert "plain http" in message and "allow_insecure_loopback=True" in message and "\n" not in message
    assert server.requests == []  # nothing at all was sent, not even the SDK's discovery probe
    _no_token(message)


def test_http_host_that_is_not_loopback_is_refused_even_when_allowed(workspace, monkeypatch):
    # 192.0.2.0/24 is TEST-NET-1: nothing is contacted; had the SDK tried, this would be a JobRunError
    # (connection failed) after seconds, not an immediate ConfigError.
    monkeypatch.setenv("DATABRICKS_HOST", "http://192.0.2.55:8080")
    with pytest.raises(ConfigError, match=r"uses http:// instead of https://: the token would travel unencrypted"):
        run_byod_with_jobAPI(JOB, timeout_s=30, allow_insecure_loopback=True)


def test_a_given_client_with_an_http_host_is_refused(workspace):
    from databricks.sdk import WorkspaceClient

    with workspace() as server:
        client = WorkspaceClient(host=server.url.replace("127.0.0.1", "localhost"), token=TOKEN)
        with pytest.raises(ConfigError, match="plain http"):
            run_byod_with_jobAPI(JOB, client=client, timeout_s=30)
    # The SDK's unauthenticated discovery probe may have run while the client was built; no API call did,
    # and the token was never sent.
    assert not [r for r in server.requests if r.path.startswith("/api/")]
    assert all(r.authorization is None for r in server.requests)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("https://adb-1.azuredatabricks.net", True),
        ("adb-1.azuredatabricks.net", True),  # no scheme: the SDK makes it https://
        ("http://127.0.0.1:8080", True),
        ("http://127.5.6.7", True),
        ("http://[::1]:80", True),
        ("http://localhost:1", True),
        ("http://example.com", False),
        ("http://10.0.0.1", False),
        ("http://127.0.0.1.example.com", False),
        ("ftp://127.0.0.1", False),
    ],
)
def test_check_host(host, allowed):
    if allowed:
        check_host(host, allow_insecure_loopback=True)
    else:
        with pytest.raises(ConfigError):
            check_host(host, allow_insecure_loopback=True)
    if host.startswith("http://") and allowed:
        with pytest.raises(ConfigError, match="allow_insecure_loopback"):
            check_host(host)


def test_is_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("LOCALHOST")
    assert not is_loopback("192.0.2.2") and not is_loopback("") and not is_loopback(None)
