"""Job-definition validation before the Jobs API sees it: every problem with its path, at once; why the SDK's own
from_dict is not enough; bundle-only keys and unresolved ${var...}; loading from YAML / dict / OmegaConf."""

from __future__ import annotations

import copy

import pytest
from omegaconf import OmegaConf

from byod.errors import ConfigError
from byod.workflow.jobs_api import _sdk_kwargs, submit_payload
from byod.workflow.validate import job_definition_problems, load_job_definition, validate_job_definition
from tests.workflow.test_jobs_api import JOB


def test_valid_definition_has_no_problems():
    assert job_definition_problems(JOB) == []
    validate_job_definition(JOB)


def test_the_sdk_from_dict_silently_drops_a_typo():
    from databricks.sdk.service.jobs import SparkPythonTask

    task = SparkPythonTask.from_dict({"pyton_file": "/x.py"})
    assert task.python_file is None and "pyton_file" not in task.as_dict()  # why byod validates itself


def test_every_problem_is_listed_with_its_path():
    job = copy.deepcopy(JOB)
    job["tasks"][0]["spark_python_task"]["pyton_file"] = job["tasks"][0]["spark_python_task"].pop("python_file")
    job["tasks"][0]["spark_python_task"]["source"] = "LOCAL"
    job["tasks"][0]["libraries"][0]["whl"] = "${var.wheel}"
    job["job_clusters"][0]["new_cluster"]["num_workers"] = "two"
    job["job_clusters"][0]["new_cluster"]["spark_conf"] = {"spark.sql.shuffle.partitions": 8}
    job["tasks"].append({"task_key": "c4_arxiv", "job_cluster_key": "big", "spark_python_task": {"python_file": "/y"}})
    job["permissions"] = [{"level": "CAN_VIEW", "group_name": "users"}]
    assert job_definition_problems(job) == [
        "permissions: bundle-only key, the Jobs API does not accept it (set it in the bundle instead)",
        "job_clusters[0].new_cluster.num_workers: expected int, got str 'two'",
        "job_clusters[0].new_cluster.spark_conf.spark.sql.shuffle.partitions: expected str, got int '8' "
        "(quote it in YAML)",
        "tasks[0].libraries[0].whl: unresolved bundle variable in '${var.wheel}' (the Jobs API has no variables)",
        "tasks[0].spark_python_task.pyton_file: unknown key (did you mean 'python_file'?)",
        "tasks[0].spark_python_task.python_file: missing required field",
        "tasks[0].spark_python_task.source: bad value 'LOCAL' (allowed: WORKSPACE, GIT)",
        "tasks[1].task_key: duplicate task key 'c4_arxiv'",
        "tasks[1].job_cluster_key: 'big' is not in job_clusters (main)",
    ]
    with pytest.raises(ConfigError, match=r"invalid job definition in job.yaml:\n  permissions: bundle-only"):
        validate_job_definition(job, source="job.yaml")


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ({"name": "x"}, "tasks: missing required field (a job needs at least one task)"),
        ({"name": "x", "tasks": []}, "tasks: empty list (a job needs at least one task)"),
        ({"name": "x", "tasks": {"a": 1}}, "tasks: expected a list, got dict"),
        ({**JOB, "max_concurrent_runs": True}, "max_concurrent_runs: expected int, got bool 'True'"),
        ({**JOB, "tasks": [{"spark_python_task": {"python_file": "/x"}}]}, "tasks[0].task_key: missing required field"),
    ],
)
def test_single_problems(definition, problem):
    assert problem in job_definition_problems(definition)


def test_load_from_yaml_dict_and_omegaconf(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("name: byod\ntasks:\n  - task_key: t\n    spark_python_task: {python_file: /x.py}\n")
    loaded, source = load_job_definition(path)
    assert source == str(path) and loaded["tasks"][0]["spark_python_task"] == {"python_file": "/x.py"}
    config = OmegaConf.create(
        {
            "base": "/Workspace/byod",
            "name": "n",
            "tasks": [{"task_key": "t", "spark_python_task": {"python_file": "${base}/x.py"}}],
        }
    )
    loaded, _ = load_job_definition(config)
    assert loaded["tasks"][0]["spark_python_task"]["python_file"] == "/Workspace/byod/x.py"  # interpolation resolved
    copied, _ = load_job_definition(JOB)
    copied["tasks"][0]["task_key"] = "changed"
    assert JOB["tasks"][0]["task_key"] == "c4_arxiv"  # a deep copy: the caller's dict is untouched
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping of job settings, got list"):
        load_job_definition(path)


def test_submit_payload_and_the_sdk_drop_guard():
    from databricks.sdk.service.jobs import JobsAPI

    payload = submit_payload(JOB)
    assert set(payload) == {"run_name", "tasks"} and payload["tasks"][0]["new_cluster"]["num_workers"] == 2
    kwargs = _sdk_kwargs(JobsAPI.submit, payload)
    assert kwargs["tasks"][0].as_dict() == payload["tasks"][0]
    broken = copy.deepcopy(payload)
    broken["tasks"][0]["spark_python_task"]["not_in_the_sdk"] = 1  # (validation would stop this earlier)
    with pytest.raises(ConfigError, match=r"would drop these keys: tasks\[0\].spark_python_task.not_in_the_sdk"):
        _sdk_kwargs(JobsAPI.submit, broken)
