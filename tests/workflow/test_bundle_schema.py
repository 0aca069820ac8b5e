"""The bundle files: databricks.yml and every resources/*.yml validate against the Databricks CLI's bundle JSON
Schema (../shared/schemas) and, for each job, against databricks-bundles' typed Job class; a deliberate typo
is caught by both; and every job script in jobs/ is paired with a resource that runs it (and vice versa)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from databricks.bundles.jobs import Job

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO.parent / "shared" / "schemas" / "databricks-bundle.schema.json"
BUNDLE_FILES = [REPO / "databricks.yml", *sorted((REPO / "resources").glob("*.yml"))]
RESOURCE_FILES = sorted((REPO / "resources").glob("*.job.yml"))
JOB_SCRIPTS = sorted(p for p in (REPO / "jobs").glob("*.py") if not p.name.startswith("_"))


def _python_patterns(node):
    """The schema's patterns use \\p{L} / \\p{N}, which Python's re rejects: rewrite them (in memory only)."""
    if isinstance(node, dict):
        return {k: (_rewrite(v) if k == "pattern" else _python_patterns(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_python_patterns(v) for v in node]
    return node


def _rewrite(pattern: str) -> str:
    # [\p{L}\p{N}] = a letter or a digit = [^\W_]; \p{L} alone = [^\W\d_]; \p{N} alone = \d.
    return pattern.replace(r"[\p{L}\p{N}]", r"[^\W_]").replace(r"\p{L}", r"[^\W\d_]").replace(r"\p{N}", r"\d")


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    if not SCHEMA_FILE.is_file():
        raise FileNotFoundError(f"{SCHEMA_FILE} is missing: the tests need ../shared/schemas beside the repo")
    schema = _python_patterns(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def _errors(validator, document) -> list[str]:
    """Every leaf error as "path: message" (oneOf errors, as for "a job or a ${var...}", hold the real ones)."""

    def leaves(error):
        return [leaf for sub in error.context for leaf in leaves(sub)] if error.context else [error]

    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for error in validator.iter_errors(document)
        for e in leaves(error)
    ]


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _jobs(path: Path) -> dict:
    return _load(path)["resources"]["jobs"]


def test_rewritten_pattern_still_matches_variables():
    pattern = re.compile(_rewrite(r"\$\{(var(\.\p{L}+([-_]*[\p{L}\p{N}]+)*(\[[0-9]+\])*)+)\}"))
    assert pattern.fullmatch("${var.num_workers2}") and pattern.fullmatch("${var.a-b_c}")
    assert not pattern.fullmatch("${var.9lives}") and not pattern.fullmatch("${var.}")


def test_bundle_layout():
    root = _load(REPO / "databricks.yml")
    assert root["bundle"]["name"] == "byod" and root["include"] == ["resources/*.yml"]
    assert root["targets"]["dev"] == {
        "mode": "development",
        "default": True,
        "presets": {"artifacts_dynamic_version": True},
    }
    assert root["targets"]["prod"]["mode"] == "production"
    assert root["python"]["mutators"] == ["byod.workflow.bundle_mutators:select_job_compute"]
    assert [a["type"] for a in root["artifacts"].values()] == ["whl"]
    assert all(v.get("description") for v in root["variables"].values())
    assert {
        "compute",
        "config_dir",
        "output_path",
        "tokenizer",
        "node_type_id",
        "spark_version",
        "num_workers",
        "data_security_mode",
    } <= set(root["variables"])
    assert len(RESOURCE_FILES) == len(BUNDLE_FILES) - 1  # every resource file is a *.job.yml


@pytest.mark.parametrize("path", BUNDLE_FILES, ids=lambda p: p.name)
def test_bundle_file_matches_the_cli_schema(validator, path):
    assert _errors(validator, _load(path)) == []


@pytest.mark.parametrize("path", RESOURCE_FILES, ids=lambda p: p.name)
def test_job_resource_builds_a_typed_job(path):
    for key, spec in _jobs(path).items():
        job = Job.from_dict(copy.deepcopy(spec))
        assert job.name == f"byod-{key}"
        [task] = job.tasks
        assert task.spark_python_task.python_file == f"../jobs/{key}.py"
        assert [lib.whl for lib in task.libraries] == ["../dist/*.whl"]
        assert task.job_cluster_key == job.job_clusters[0].job_cluster_key


@pytest.mark.parametrize(
    ("typo", "edit"),
    [
        ("pyton_file", lambda job: job["tasks"][0]["spark_python_task"].update(pyton_file="../jobs/x.py")),
        ("num_worker", lambda job: job["job_clusters"][0]["new_cluster"].update(num_worker=2)),
        ("max_concurent_runs", lambda job: job.update(max_concurent_runs=1)),
    ],
)
def test_a_typo_is_caught_by_the_schema_and_the_typed_classes(validator, typo, edit):
    path = RESOURCE_FILES[0]
    document = _load(path)
    [(key, job)] = document["resources"]["jobs"].items()
    edit(job)
    assert _errors(validator, _load(path)) == []
    assert any(f"'{typo}' was unexpected" in e for e in _errors(validator, document))
    with pytest.raises(ValueError, match=f"Unexpected field '{typo}'"):
        Job.from_dict(copy.deepcopy(job))


def test_a_typo_in_databricks_yml_is_caught(validator):
    document = _load(REPO / "databricks.yml")
    document["targets"]["dev"]["defualt"] = document["targets"]["dev"].pop("default")
    document["bundle"]["nmae"] = document["bundle"].pop("name")  # (unknown top-level keys are allowed)
    errors = _errors(validator, document)
    assert any(e.startswith("bundle") and "'nmae' was unexpected" in e for e in errors), errors
    assert any(e.startswith("targets/dev") and "'defualt' was unexpected" in e for e in errors), errors


def test_every_job_script_has_a_bundle_resource_and_every_resource_a_script():
    scripts = {p.stem for p in JOB_SCRIPTS}
    assert scripts, "no job scripts found in jobs/"
    for name in sorted(scripts):
        resource = REPO / "resources" / f"{name}.job.yml"
        assert resource.is_file(), f"jobs/{name}.py has no bundle resource {resource.relative_to(REPO)}"
        jobs = _jobs(resource)
        assert name in jobs, f"{resource.name} defines no job {name!r}"
        files = [t["spark_python_task"]["python_file"] for t in jobs[name]["tasks"] if "spark_python_task" in t]
        assert files == [f"../jobs/{name}.py"], f"{resource.name} does not run jobs/{name}.py"
    for resource in RESOURCE_FILES:
        for task in (t for job in _jobs(resource).values() for t in job["tasks"]):
            script = (resource.parent / task["spark_python_task"]["python_file"]).resolve()
            assert script.is_file(), f"{resource.name} runs {script}, which does not exist"
