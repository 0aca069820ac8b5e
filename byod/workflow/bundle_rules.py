"""Rules the Databricks CLI enforces at deploy time that its JSON schema cannot express, checked offline.

Each rule cites where the CLI (or the Jobs API it calls) states it. byod checks them before calling the
CLI or the Jobs API, so a broken bundle fails in a second with the file and key, not after an upload.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from byod.workflow.bundle_config import BundleFiles, resolved_config, target_mode
from byod.workflow.compute import COMPUTE_VARIABLE, check_compute, select_compute


def _is_local(path: Any) -> bool:
    """A bundle path relative to its file (the CLI translates these); not a workspace, volume or URI path."""
    return isinstance(path, str) and bool(path) and not path.startswith("/") and "://" not in path


def target_problems(bundle: BundleFiles, target: str, config: Mapping[str, Any]) -> list[str]:
    """Problems of one resolved target (``resolved_config``) as ``"file: key: problem"``."""
    problems = []
    root = bundle.root_file
    spec = (bundle.config.get("targets") or {}).get(target) or {}
    workspace = config.get("workspace") or {}
    user = "someone@example.com"
    mode = target_mode(bundle, target)
    if mode == "production":
        # databricks/cli bundle/config/mutator/process_target_mode.go (validateProductionMode): a production
        # deploy by a user needs workspace.root_path set and not containing the user's name ("root_path must
        # not contain the current username when using 'mode: production'"; the default root path
        # ~/.bundle/... does), and run_as set for every job ("'run_as' must be set for all jobs").
        root_path = (spec.get("workspace") or {}).get("root_path") or (bundle.config.get("workspace") or {}).get(
            "root_path"
        )
        if not root_path:
            problems.append(f"{root}: targets.{target}.workspace.root_path: required with mode: production")
        elif "current_user" in str(root_path) or user in str(workspace.get("root_path", "")):
            problems.append(f"{root}: targets.{target}.workspace.root_path: must not depend on the deploying user")
        if not config.get("run_as") and not all(
            (job or {}).get("run_as") for job in ((config.get("resources") or {}).get("jobs") or {}).values()
        ):
            problems.append(f"{root}: targets.{target}.run_as: required for every job with mode: production")
    if mode == "development" and workspace.get("root_path"):
        # Same file (validateDevelopmentMode): "root_path must start with '~/' or contain the current username
        # when using 'mode: development'".
        if user not in str(workspace["root_path"]):
            problems.append(f"{root}: targets.{target}.workspace.root_path: must contain the current user name")
    return problems


def job_problems(path: Path, name: str, job: Mapping[str, Any], *, check_wheels: bool = False) -> list[str]:
    """Problems of one resolved job defined in ``path``: files it names, and what serverless tasks may carry."""
    where = f"{path}: resources.jobs.{name}"
    problems = []
    environments = {e.get("environment_key") for e in job.get("environments") or [] if isinstance(e, Mapping)}
    for i, task in enumerate(job.get("tasks") or []):
        if not isinstance(task, Mapping):
            continue
        key = f"{where}.tasks[{i}]"
        python_file = (task.get("spark_python_task") or {}).get("python_file")
        # databricks/cli bundle/config/mutator/translate_paths.go: a relative path is resolved against the file
        # that names it and must exist ("file ... not found"), else the deploy stops.
        if _is_local(python_file) and not (path.parent / python_file).is_file():
            problems.append(f"{key}.spark_python_task.python_file: {python_file!r} not found next to {path.name}")
        if task.get("environment_key") is not None:
            # Jobs API, tasks[].environment_key and "Serverless compute for jobs" docs
            # (https://docs.databricks.com/aws/en/jobs/run-serverless-jobs): on serverless, libraries go in the
            # environment's dependencies; task-level libraries are not supported.
            if task.get("libraries"):
                problems.append(
                    f"{key}.libraries: not allowed on serverless (put them in the environment's dependencies)"
                )
            if task["environment_key"] not in environments:
                problems.append(f"{key}.environment_key: {task['environment_key']!r} is not in environments")
        if check_wheels:
            for j, library in enumerate(task.get("libraries") or []):
                problems += _wheel_problem(path, f"{key}.libraries[{j}].whl", (library or {}).get("whl"))
    if check_wheels:
        for i, env in enumerate(job.get("environments") or []):
            for j, dep in enumerate(((env or {}).get("spec") or {}).get("dependencies") or []):
                if isinstance(dep, str) and dep.endswith(".whl"):
                    problems += _wheel_problem(path, f"{where}.environments[{i}].spec.dependencies[{j}]", dep)
    return problems


def _wheel_problem(path: Path, key: str, whl: Any) -> list[str]:
    # databricks/cli bundle/libraries/expand_glob_references.go: a local library glob that matches no file is an
    # error ("file doesn't exist"); the bundle's artifact build makes the wheel, byod's Jobs API path does not.
    if not _is_local(whl):
        return []
    if not glob.glob(str(path.parent / whl)):
        return [f"{key}: no file matches {whl!r} (build the wheel first: python -m build --wheel)"]
    return []


def typed_problems(path: Path, name: str, job: Mapping[str, Any]) -> list[str]:
    """Unknown keys (typos), wrong types and bad values in a resolved job, by databricks-bundles' typed classes."""
    from byod.workflow.validate import BUNDLE_ONLY_KEYS, job_definition_problems

    body = {k: v for k, v in job.items() if k not in BUNDLE_ONLY_KEYS}
    return [f"{path}: resources.jobs.{name}.{problem}" for problem in job_definition_problems(body)]


def bundle_problems(
    bundle: BundleFiles, target: str, overrides: Mapping[str, Any] | None = None, *, check_wheels: bool = False
) -> list[str]:
    """Typos and every CLI rule above for ``target`` (``overrides`` of its variables), jobs in their compute."""
    config = resolved_config(bundle, target, overrides)
    problems = target_problems(bundle, target, config)
    where = f"{bundle.root_file}: variables.{COMPUTE_VARIABLE}"
    compute = check_compute(config["variables"].get(COMPUTE_VARIABLE, {}).get("default", "classic"), where=where)
    for name, job in ((config.get("resources") or {}).get("jobs") or {}).items():
        path = bundle.job_files().get(name, bundle.root_file)
        problems += typed_problems(path, name, job)
        problems += job_problems(path, name, select_compute(job, compute), check_wheels=check_wheels)
    return problems
