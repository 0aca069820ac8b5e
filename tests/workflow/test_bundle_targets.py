"""Every bundle target, in both compute kinds, as the CLI would deploy it: target merged, variables
substituted, compute chosen, then validated against the CLI's JSON schema (../shared/schemas) and against
byod's own checks of the CLI's deploy-time rules the schema cannot express (byod/workflow/bundle_rules.py,
each rule citing its source). The serverless rewrite is also run through the real
``python -m databricks.bundles.build --phase apply_mutators`` entry point the CLI calls.
Bad input (a typo, an unknown target, a serverless task with libraries, a missing file or wheel) is a
one-line ConfigError naming the file and the key."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from byod.errors import ConfigError
from byod.workflow.bundle_config import load_bundle, resolved_config
from byod.workflow.bundle_rules import bundle_problems
from byod.workflow.compute import CLASSIC, COMPUTE_KINDS, SERVERLESS, select_compute, to_serverless
from byod.workflow.validate import job_definition_problems
from tests.workflow.test_bundle_schema import REPO, _errors, validator  # noqa: F401 - fixture

TARGETS = sorted(yaml.safe_load((REPO / "databricks.yml").read_text())["targets"])


def _deployed(target: str, compute: str, root: Path = REPO) -> dict:
    config = resolved_config(load_bundle(root), target, {"compute": compute})
    jobs = config["resources"]["jobs"]
    config["resources"]["jobs"] = {name: select_compute(job, compute) for name, job in jobs.items()}
    return config


def test_targets_are_dev_and_prod():
    assert TARGETS == ["dev", "prod"]


@pytest.mark.parametrize("compute", COMPUTE_KINDS)
@pytest.mark.parametrize("target", TARGETS)
def test_every_target_and_compute_matches_the_cli_schema_and_rules(validator, target, compute):  # noqa: F811
    config = _deployed(target, compute)
    assert "${" not in json.dumps(config), "a reference was left unresolved"
    assert _errors(validator, config) == []
    assert bundle_problems(load_bundle(REPO), target, {"compute": compute}) == []
    for name, job in config["resources"]["jobs"].items():
        assert job_definition_problems({k: v for k, v in job.items() if k != "permissions"}) == [], name
        [task] = job["tasks"]
        if compute == SERVERLESS:
            assert "libraries" not in task and "job_clusters" not in job and task["environment_key"] == "default"
            [env] = job["environments"]
            assert env["spec"]["dependencies"] == ["../dist/*.whl"]
        else:
            assert task["libraries"] == [{"whl": "../dist/*.whl"}] and "environments" not in job
            assert job["job_clusters"][0]["new_cluster"]["data_security_mode"] == "SINGLE_USER"


def test_prod_is_a_shared_production_deploy():
    config = _deployed("prod", CLASSIC)
    assert config["workspace"]["root_path"] == "/Workspace/Shared/.bundle/byod/prod"
    assert config["run_as"] and config["permissions"]
    assert config["resources"]["jobs"]["c4_arxiv"]["job_clusters"][0]["new_cluster"]["num_workers"] == 8
    assert (
        _deployed("dev", CLASSIC)["resources"]["jobs"]["c4_arxiv"]["job_clusters"][0]["new_cluster"]["num_workers"] == 2
    )


def test_the_cli_mutator_entry_point_rewrites_for_serverless(tmp_path):
    """What `databricks bundle deploy --var compute=...` runs: databricks.bundles.build with byod's mutator."""
    for compute in COMPUTE_KINDS:
        config = resolved_config(load_bundle(REPO), "dev", {"compute": compute})
        config["bundle"]["target"] = "dev"  # the CLI passes these two (their absence is the KeyError 'target')
        config["variables"] = {name: {"value": spec["default"]} for name, spec in config["variables"].items()}
        (tmp_path / "in.json").write_text(json.dumps(config))
        args = ["--input", "in.json", "--output", "out.json", "--diagnostics", "diag.json"]
        done = subprocess.run(
            [sys.executable, "-m", "databricks.bundles.build", "--phase", "apply_mutators", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:] + (tmp_path / "diag.json").read_text()
        jobs = json.loads((tmp_path / "out.json").read_text())["resources"]["jobs"]
        for name, job in jobs.items():
            expected = select_compute(config["resources"]["jobs"][name], compute)
            assert job == expected, name


def test_to_serverless_moves_libraries_and_refuses_what_serverless_cannot_install():
    job = {
        "name": "j",
        "job_clusters": [{"job_cluster_key": "main", "new_cluster": {"num_workers": 1}}],
        "tasks": [
            {"task_key": "a", "job_cluster_key": "main", "libraries": [{"whl": "/w.whl"}, {"pypi": {"package": "x"}}]},
            {"task_key": "b", "job_cluster_key": "main", "libraries": [{"whl": "/w.whl"}]},
        ],
    }
    out = to_serverless(job)
    assert out["environments"] == [
        {"environment_key": "default", "spec": {"environment_version": "2", "dependencies": ["/w.whl", "x"]}}
    ]
    assert all("libraries" not in t and "job_cluster_key" not in t for t in out["tasks"])
    assert "job_clusters" not in out and job["tasks"][0]["job_cluster_key"] == "main"  # input untouched
    job["tasks"][1]["libraries"] = [{"jar": "/x.jar"}]
    with pytest.raises(ConfigError, match=r"tasks\[1\].libraries\[0\]: a 'jar' library has no serverless"):
        to_serverless(job)


# --- the CLI's rules the schema cannot express, on broken copies of the bundle ---------------------------


@pytest.fixture
def bundle_copy(tmp_path):
    """A copy of the bundle (databricks.yml, resources/, jobs/) to break."""
    shutil.copy(REPO / "databricks.yml", tmp_path)
    shutil.copytree(REPO / "resources", tmp_path / "resources")
    shutil.copytree(REPO / "jobs", tmp_path / "jobs", ignore=shutil.ignore_patterns("__pycache__"))

    def edit(relative: str, change) -> Path:
        path = tmp_path / relative
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return tmp_path, edit


def _c4(data: dict) -> dict:
    return data["resources"]["jobs"]["c4_arxiv"]


@pytest.mark.parametrize(
    ("relative", "change", "target", "compute", "problem"),
    [
        (
            "databricks.yml",
            lambda d: d["targets"]["prod"].pop("workspace"),
            "prod",
            CLASSIC,
            "databricks.yml: targets.prod.workspace.root_path: required with mode: production",
        ),
        (
            "databricks.yml",
            lambda d: d["targets"]["prod"]["workspace"].update(root_path="~/${workspace.current_user.userName}/x"),
            "prod",
            CLASSIC,
            "databricks.yml: targets.prod.workspace.root_path: must not depend on the deploying user",
        ),
        (
            "databricks.yml",
            lambda d: d["targets"]["prod"].pop("run_as"),
            "prod",
            CLASSIC,
            "databricks.yml: targets.prod.run_as: required for every job with mode: production",
        ),
        (
            "databricks.yml",
            lambda d: d["targets"]["dev"].update(workspace={"root_path": "/Workspace/Shared/dev"}),
            "dev",
            CLASSIC,
            "databricks.yml: targets.dev.workspace.root_path: must contain the current user name",
        ),
        (
            "resources/c4_arxiv.job.yml",
            lambda d: _c4(d)["tasks"][0]["spark_python_task"].update(python_file="../jobs/c4_arxiv_v2.py"),
            "dev",
            CLASSIC,
            "c4_arxiv.job.yml: resources.jobs.c4_arxiv.tasks[0].spark_python_task.python_file: "
            "'../jobs/c4_arxiv_v2.py' not found",
        ),
        (
            "resources/c4_arxiv.job.yml",
            lambda d: _c4(d).update(
                environments=[{"environment_key": "default", "spec": {"environment_version": "2"}}],
                tasks=[{**_c4(d)["tasks"][0], "environment_key": "default", "job_cluster_key": None}],
            ),
            "dev",
            SERVERLESS,
            "c4_arxiv.job.yml: resources.jobs.c4_arxiv.tasks[0].libraries: not allowed on serverless",
        ),
        (
            "resources/c4_arxiv.job.yml",
            lambda d: _c4(d)["tasks"][0]["spark_python_task"].update(pyton_file="x.py"),
            "dev",
            CLASSIC,
            "c4_arxiv.job.yml: resources.jobs.c4_arxiv.tasks[0].spark_python_task.pyton_file: unknown key "
            "(did you mean 'python_file'?)",
        ),
    ],
    ids=[
        "prod-without-root_path",
        "prod-user-root_path",
        "prod-without-run_as",
        "dev-shared-root_path",
        "missing-python_file",
        "serverless-with-libraries",
        "typo",
    ],
)
def test_a_broken_rule_is_named_with_file_and_key(bundle_copy, relative, change, target, compute, problem):
    root, edit = bundle_copy
    assert bundle_problems(load_bundle(root), target, {"compute": compute}) == []  # the copy starts clean
    edit(relative, change)
    if "job_cluster_key" in (root / relative).read_text() and "environment_key" in (root / relative).read_text():
        edit(relative, lambda d: _c4(d)["tasks"][0].pop("job_cluster_key", None))
    problems = bundle_problems(load_bundle(root), target, {"compute": compute})
    assert any(problem in p for p in problems), problems
    assert all("\n" not in p for p in problems)
