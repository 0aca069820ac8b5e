"""run_byod_with_jobAPI given the bundle's own resource file: resources.jobs.<name> with the bundle's variables
for a target, rewritten for the chosen compute, its entry script and wheel uploaded through databricks-sdk
(workspace import or Files API, spoken by the local stand-in server), then submitted and waited for with the
SDK's waiter. Bad input fails with one line naming the file and key, before any request."""

from __future__ import annotations

import shutil
import zipfile

import pytest
import yaml

from byod.errors import ConfigError
from tests.workflow.fake_jobs_server import CREATED_JOB_ID, Scenario
from tests.workflow.test_bundle_schema import REPO
from tests.workflow.test_jobs_api import JOB, SUBMIT, _run

WHEEL = "byod-0.1.0-py3-none-any.whl"
GET = "/api/2.2/jobs/runs/get"


@pytest.fixture
def bundle(tmp_path):
    """A copy of the bundle with a stand-in wheel in dist/ (what `python -m build --wheel` leaves there)."""
    shutil.copy(REPO / "databricks.yml", tmp_path)
    shutil.copytree(REPO / "resources", tmp_path / "resources")
    shutil.copytree(REPO / "jobs", tmp_path / "jobs", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "dist").mkdir()
    with zipfile.ZipFile(tmp_path / "dist" / WHEEL, "w") as wheel:
        wheel.writestr("byod/__init__.py", "__version__ = '0.1.0'\n")
    return tmp_path


def _resource(root, name="c4_arxiv"):
    return root / "resources" / f"{name}.job.yml"


def _edit(path, change):
    data = yaml.safe_load(path.read_text())
    change(data["resources"]["jobs"][path.name.split(".")[0]])
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_resource_file_is_uploaded_to_the_workspace_and_submitted(workspace, bundle):
    with workspace() as server:
        result = _run(
            _resource(bundle),
            upload_to="/Workspace/Users/me@example.com/byod",
            variables={"output_path": "/Volumes/main/byod/run1"},
            timeout_s=30,
        )
    assert result.result_state == "SUCCESS"
    api = [p for p in server.paths() if p.startswith("/api/")]
    assert api == ["/api/2.0/workspace/mkdirs", "/api/2.0/workspace/import", "/api/2.0/workspace/import", SUBMIT, GET]
    folder = "/Workspace/Users/me@example.com/byod"
    assert server.files == {
        f"{folder}/c4_arxiv.py": (REPO / "jobs" / "c4_arxiv.py").read_bytes(),
        f"{folder}/{WHEEL}": (bundle / "dist" / WHEEL).read_bytes(),
    }
    imports = [r.form for r in server.requests if r.path == "/api/2.0/workspace/import"]
    assert {f["format"] for f in imports} == {b"AUTO"} and {f["overwrite"] for f in imports} == {b"true"}
    body = server.requests[server.paths().index(SUBMIT)].body
    [task] = body["tasks"]
    assert body["run_name"] == "byod-c4_arxiv"
    assert task["spark_python_task"]["python_file"] == f"{folder}/c4_arxiv.py"
    assert task["spark_python_task"]["parameters"] == [
        "--config",
        "/Volumes/main/byod/configs/c4_arxiv.yaml",
        "output=/Volumes/main/byod/run1/c4_arxiv",
        "tokenize.tokenizer=/Volumes/main/byod/tokenizers/llama3",
    ]
    assert task["libraries"] == [{"whl": f"{folder}/{WHEEL}"}]
    assert task["new_cluster"] == {
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "num_workers": 2,
        "data_security_mode": "SINGLE_USER",
    }


def test_serverless_prod_job_uploaded_to_a_volume_and_created(workspace, bundle):
    with workspace() as server:
        result = _run(
            _resource(bundle, "ft_data_prep"),
            mode="create_and_run",
            target="prod",
            variables={"compute": "serverless"},
            upload_to="/Volumes/main/byod/artifacts",
            timeout_s=30,
        )
    assert result.job_id == CREATED_JOB_ID
    assert server.folders == {"/Volumes/main/byod/artifacts"}
    assert set(server.files) == {
        "/Volumes/main/byod/artifacts/ft_data_prep.py",
        f"/Volumes/main/byod/artifacts/{WHEEL}",
    }
    body = server.requests[server.paths().index("/api/2.2/jobs/create")].body
    assert "job_clusters" not in body and "permissions" not in body
    assert body["environments"] == [
        {
            "environment_key": "default",
            "spec": {"environment_version": "2", "dependencies": [f"/Volumes/main/byod/artifacts/{WHEEL}"]},
        }
    ]
    [task] = body["tasks"]
    assert task["environment_key"] == "default" and "libraries" not in task


def test_prod_target_variables_apply(workspace, bundle):
    with workspace() as server:
        _run(_resource(bundle), target="prod", upload_to="/Workspace/Shared/byod", timeout_s=30)
    body = server.requests[server.paths().index(SUBMIT)].body
    assert body["tasks"][0]["new_cluster"]["num_workers"] == 8


@pytest.mark.parametrize(
    ("setup", "kwargs", "message"),
    [
        (
            lambda root: _edit(_resource(root), lambda j: j["tasks"][0]["spark_python_task"].update(pyton_file="x")),
            {},
            r"c4_arxiv.job.yml: resources.jobs.c4_arxiv.tasks\[0\].spark_python_task.pyton_file: unknown key "
            r"\(did you mean 'python_file'\?\)$",
        ),
        (None, {"target": "staging"}, r"databricks.yml: targets.staging: no such target \(defined: dev, prod\)$"),
        (
            lambda root: _edit(
                _resource(root),
                lambda j: j.update(
                    environments=[{"environment_key": "default", "spec": {"environment_version": "2"}}],
                    tasks=[
                        {k: v for k, v in j["tasks"][0].items() if k != "job_cluster_key"}
                        | {"environment_key": "default"}
                    ],
                ),
            ),
            {},
            r"c4_arxiv.job.yml: resources.jobs.c4_arxiv.tasks\[0\].libraries: not allowed on serverless",
        ),
        (
            lambda root: shutil.rmtree(root / "dist"),
            {},
            r"c4_arxiv.job.yml: resources.jobs.c4_arxiv.tasks\[0\].libraries\[0\].whl: no file matches '../dist/\*.whl'",
        ),
        (
            lambda root: shutil.rmtree(root / "dist"),
            {"variables": {"compute": "serverless"}},
            r"resources.jobs.c4_arxiv.environments\[0\].spec.dependencies\[0\]: no file matches '../dist/\*.whl'",
        ),
        (
            None,
            {"upload_to": None},
            r"resources.jobs.c4_arxiv.tasks\[0\].spark_python_task.python_file: '../jobs/c4_arxiv.py' is a local file",
        ),
        (None, {"upload_to": "/tmp/x"}, r"upload_to: '/tmp/x' must be a folder under /Workspace/ or /Volumes/$"),
        (None, {"variables": {"computer": "serverless"}}, r"databricks.yml: variables.computer: not declared"),
        (None, {"job": "ft_data_prep"}, r"resources.jobs.ft_data_prep: no such job \(defined: c4_arxiv\)$"),
    ],
    ids=[
        "typo",
        "unknown-target",
        "serverless-libraries",
        "missing-wheel",
        "missing-wheel-serverless",
        "no-upload_to",
        "bad-upload_to",
        "unknown-variable",
        "unknown-job",
    ],
)
def test_bad_input_is_one_line_naming_file_and_key_before_any_request(workspace, bundle, setup, kwargs, message):
    if setup is not None:
        setup(bundle)
    kwargs = {"upload_to": "/Workspace/Users/me@example.com/byod", **kwargs}
    with workspace() as server:
        with pytest.raises(ConfigError, match=message) as info:
            _run(_resource(bundle), timeout_s=30, **kwargs)
    assert "\n" not in str(info.value)
    assert server.requests == []


def test_bundle_arguments_on_a_plain_definition_are_an_error(workspace):
    with pytest.raises(ConfigError, match="target apply to a bundle resource file"):
        _run(JOB, target="prod")


def test_upload_failure_names_the_step(workspace, bundle):
    scenario = Scenario(errors={"/api/2.0/workspace/import": (403, "PERMISSION_DENIED", "no write access")})
    with workspace(scenario) as server:
        with pytest.raises(Exception, match=r"Jobs API upload failed \(PERMISSION_DENIED\): no write access"):
            _run(_resource(bundle), upload_to="/Workspace/Shared/byod", timeout_s=30)
    assert SUBMIT not in server.paths()
