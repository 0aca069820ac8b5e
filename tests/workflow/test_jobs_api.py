"""run_byod_with_jobAPI against a local fake of the Jobs REST API on 127.0.0.1 (no workspace is reachable):
submit and create+run-now success, FAILED/CANCELED/... runs, HTTP errors, timeout with cancel, validation
before anything is sent, YAML/dict/OmegaConf inputs, and a token that never shows in results, errors or logs.
DATABRICKS_* variables and the config profile are isolated from the developer's own."""

from __future__ import annotations

import copy
import logging
import time

import pytest
import yaml
from omegaconf import OmegaConf

from byod.errors import ConfigError, WorkflowError
from byod.workflow.jobs_api import JobRunError, JobRunResult, JobRunTimeoutError, run_byod_with_jobAPI
from tests.workflow.conftest import TOKEN
from tests.workflow.fake_jobs_server import (
    CREATED_JOB_ID,
    RUN_NOW_RUN_ID,
    SUBMIT_RUN_ID,
    FakeJobsServer,
    Scenario,
    run_state,
)

SUBMIT = "/api/2.2/jobs/runs/submit"
GET = "/api/2.2/jobs/runs/get"
CLUSTER = {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 2}
JOB = {
    "name": "byod-c4_arxiv",
    "job_clusters": [{"job_cluster_key": "main", "new_cluster": CLUSTER}],
    "tasks": [
        {
            "task_key": "c4_arxiv",
            "job_cluster_key": "main",
            "spark_python_task": {
                "python_file": "/Workspace/Users/me/.bundle/byod/dev/files/jobs/c4_arxiv.py",
                "parameters": ["--config", "/Workspace/configs/c4_arxiv.yaml", "output=/Volumes/main/byod/out"],
            },
            "libraries": [{"whl": "/Volumes/main/byod/wheels/byod-0.1.0-py3-none-any.whl"}],
        }
    ],
}


def _run(cfg, **kwargs):
    """run_byod_with_jobAPI against the local http:// server (loopback, so allowed when asked)."""
    return run_byod_with_jobAPI(cfg, allow_insecure_loopback=True, **kwargs)


def _job_paths(server: FakeJobsServer) -> list[str]:
    return [p for p in server.paths() if p.startswith("/api/")]


def test_submit_success_inlines_the_job_cluster(workspace, caplog):
    caplog.set_level(logging.DEBUG)
    states = [run_state("PENDING"), run_state("TERMINATED", "SUCCESS", "all good")]
    with workspace(Scenario(states=states)) as server:
        result = _run(JOB, timeout_s=30)
    assert result == JobRunResult(
        run_id=SUBMIT_RUN_ID,
        job_id=None,
        state="TERMINATED",
        result_state="SUCCESS",
        state_message="all good",
        run_page_url=f"{server.url}/?o=1#job/{CREATED_JOB_ID}/run/{SUBMIT_RUN_ID}",
    )
    assert _job_paths(server) == [SUBMIT, GET, GET]  # the SDK's waiter polled until TERMINATED
    body = server.requests[server.paths().index(SUBMIT)].body
    assert body["run_name"] == "byod-c4_arxiv" and "job_clusters" not in body and "name" not in body
    task = body["tasks"][0]
    assert "job_cluster_key" not in task and task["new_cluster"] == CLUSTER
    assert task["spark_python_task"] == JOB["tasks"][0]["spark_python_task"]
    assert {r.authorization for r in server.requests if r.path.startswith("/api/")} == {f"Bearer {TOKEN}"}
    assert TOKEN not in caplog.text and TOKEN not in repr(result)


def test_create_and_run_sends_the_job_then_run_now(workspace):
    with workspace() as server:
        result = _run(JOB, mode="create_and_run", timeout_s=30)
    assert _job_paths(server) == ["/api/2.2/jobs/create", "/api/2.2/jobs/run-now", GET]
    assert server.requests[server.paths().index("/api/2.2/jobs/create")].body == JOB
    assert server.requests[server.paths().index("/api/2.2/jobs/run-now")].body == {"job_id": CREATED_JOB_ID}
    assert (result.run_id, result.job_id, result.result_state) == (RUN_NOW_RUN_ID, CREATED_JOB_ID, "SUCCESS")


@pytest.mark.parametrize(
    ("life", "result"),
    [
        ("TERMINATED", "FAILED"),
        ("TERMINATED", "CANCELED"),
        ("TERMINATED", "TIMEDOUT"),
        ("INTERNAL_ERROR", None),
        ("SKIPPED", None),
        ("TERMINATED", "SUCCESS_WITH_FAILURES"),
    ],
)
def test_run_that_does_not_succeed_raises_with_its_state_message(workspace, life, result):
    states = [run_state(life, result, "Task c4_arxiv failed: ConfigError: unknown key")]
    with workspace(Scenario(states=states)):
        with pytest.raises(JobRunError) as info:
            _run(JOB, timeout_s=30)
    error = info.value
    assert isinstance(error, WorkflowError) and not isinstance(error, JobRunTimeoutError)
    assert (error.run_id, error.state, error.result_state) == (SUBMIT_RUN_ID, life, result)
    assert "Task c4_arxiv failed: ConfigError: unknown key" in str(error) and f"{life}/{result}" in str(error)
    assert error.run_page_url.endswith(f"/run/{SUBMIT_RUN_ID}")


@pytest.mark.parametrize(("status", "code"), [(400, "INVALID_PARAMETER_VALUE"), (403, "PERMISSION_DENIED")])
def test_http_error_names_the_call_and_hides_the_token(workspace, caplog, status, code):
    caplog.set_level(logging.INFO)
    scenario = Scenario(errors={SUBMIT: (status, code, "no can do")}, echo_authorization=True)
    with workspace(scenario) as server:
        with pytest.raises(JobRunError) as info:
            _run(JOB, timeout_s=30)
    assert "runs/submit failed" in str(info.value) and code in str(info.value) and "no can do" in str(info.value)
    assert "Bearer ***" in str(info.value)  # the server echoed it; byod masked it
    for text in (str(info.value), repr(info.value), caplog.text):
        assert TOKEN not in text
    assert GET not in server.paths()


def test_http_error_while_polling(workspace):
    with workspace(Scenario(errors={GET: (404, "RESOURCE_DOES_NOT_EXIST", "run 101 does not exist")})):
        with pytest.raises(JobRunError, match="runs/get failed.*run 101 does not exist"):
            _run(JOB, timeout_s=30)


def test_timeout_cancels_the_run_and_stops_polling(workspace):
    with workspace(Scenario(states=[run_state("RUNNING")])) as server:
        start = time.monotonic()
        with pytest.raises(JobRunTimeoutError) as info:
            _run(JOB, timeout_s=0.3)
        elapsed = time.monotonic() - start
    assert info.value.run_id == SUBMIT_RUN_ID and info.value.state == "RUNNING"
    assert "not finished after" in str(info.value) and "cancel requested" in str(info.value)
    assert server.paths()[-1] == "/api/2.2/jobs/runs/cancel"
    # The SDK's waiter sleeps 1-2 s after its first poll, then sees the deadline passed: no more polls.
    assert server.paths().count(GET) == 1 and elapsed < 5


def test_timeout_without_cancel_leaves_the_run(workspace):
    with workspace(Scenario(states=[run_state("RUNNING")])) as server:
        with pytest.raises(JobRunTimeoutError, match="left running"):
            _run(JOB, timeout_s=0.1, cancel_on_timeout=False)
    assert "/api/2.2/jobs/runs/cancel" not in server.paths()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda j: j["tasks"][0]["spark_python_task"].update(pyton_file="x.py"),
            "tasks[0].spark_python_task.pyton_file: unknown key (did you mean 'python_file'?)",
        ),
        (
            lambda j: j["tasks"][0]["spark_python_task"].pop("python_file"),
            "tasks[0].spark_python_task.python_file: missing required field",
        ),
        (lambda j: j["tasks"][0].update(run_if="SOMETIMES"), "tasks[0].run_if: bad value 'SOMETIMES'"),
        (
            lambda j: j["job_clusters"][0]["new_cluster"].update(num_workers="${var.num_workers}"),
            "job_clusters[0].new_cluster.num_workers: unresolved bundle variable",
        ),
    ],
)
def test_invalid_definition_is_rejected_before_any_request(workspace, edit, message):
    job = copy.deepcopy(JOB)
    edit(job)
    with workspace() as server:
        with pytest.raises(ConfigError) as info:
            _run(job, timeout_s=30)
    assert message in str(info.value)
    assert server.requests == []


def test_keys_runs_submit_does_not_take_need_create_and_run(workspace):
    job = {**copy.deepcopy(JOB), "max_concurrent_runs": 2, "tags": {"team": "data"}}
    with workspace() as server:
        with pytest.raises(ConfigError, match="max_concurrent_runs, tags; remove them or use mode='create_and_run'"):
            _run(job, timeout_s=30)
        _run(job, mode="create_and_run", timeout_s=30)
    assert server.requests[server.paths().index("/api/2.2/jobs/create")].body["tags"] == {"team": "data"}


def test_yaml_file_and_omegaconf_inputs(workspace, tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(JOB), encoding="utf-8")
    with workspace() as server:
        assert _run(path, timeout_s=30).run_id == SUBMIT_RUN_ID
        assert _run(str(path), timeout_s=30).run_id == SUBMIT_RUN_ID
        assert _run(OmegaConf.create(JOB), timeout_s=30).run_id == SUBMIT_RUN_ID
    bodies = [r.body for r in server.requests if r.path == SUBMIT]
    assert len(bodies) == 3 and bodies[0] == bodies[1] == bodies[2]


def test_unsafe_yaml_is_refused(workspace, tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        _run(path)


def test_missing_file_and_bad_arguments():
    with pytest.raises(ConfigError, match="does not exist"):
        _run("/no/such/job.yaml")
    with pytest.raises(ValueError, match="mode must be one of"):
        _run(JOB, mode="run")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be > 0"):
        _run(JOB, timeout_s=0)
    with pytest.raises(TypeError, match="cfg must be"):
        _run(["not", "a", "job"])


def test_no_host_configured_is_a_workflow_error(workspace, monkeypatch):
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    with pytest.raises(JobRunError, match="connect failed") as info:
        _run(JOB, timeout_s=5)
    assert TOKEN not in str(info.value)


def test_given_client_is_used(workspace):
    from databricks.sdk import WorkspaceClient

    with workspace() as server:
        client = WorkspaceClient(host=server.url, token=TOKEN)
        result = _run(JOB, client=client, timeout_s=30)
    assert result.run_id == SUBMIT_RUN_ID and SUBMIT in server.paths()
