"""A bundle resource file (``resources/<job>.job.yml``) as a Jobs API job definition.

Takes ``resources.jobs.<name>``, applies the bundle's variables for a target (defaults from the nearest
databricks.yml, the target's values, the caller's), rewrites the job for the chosen compute, and maps the
local files it names (the entry script, the wheel) to a workspace or volume folder they are uploaded to.
A plain Jobs API definition passes through untouched.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from byod.errors import ConfigError
from byod.workflow.bundle_config import (
    find_bundle_root,
    load_bundle,
    merge,
    substitute,
    substitution_context,
    target_name,
    variable_values,
)
from byod.workflow.bundle_rules import job_problems
from byod.workflow.compute import (
    CLASSIC,
    COMPUTE_VARIABLE,
    DEFAULT_ENVIRONMENT_VERSION,
    check_compute,
    select_compute,
)
from byod.workflow.validate import job_definition_problems

# Where uploaded files may go: workspace files or a Unity Catalog volume (not DBFS: deprecated for libraries).
UPLOAD_ROOTS = ("/Workspace/", "/Volumes/")


@dataclass(frozen=True)
class LocalFile:
    """A local file a job names, the key that names it, and where it goes in the workspace."""

    key: str
    local: Path
    remote: str


def _is_local(path: Any) -> bool:
    return isinstance(path, str) and bool(path) and not path.startswith("/") and "://" not in path


def resolve_definition(
    data: Mapping[str, Any],
    source: str,
    *,
    job: str | None = None,
    target: str | None = None,
    variables: Mapping[str, Any] | None = None,
    upload_to: str | None = None,
) -> tuple[dict[str, Any], list[LocalFile]]:
    """``(Jobs API definition, local files to upload)`` for a resource file's job, or a plain definition as is."""
    if "resources" not in data:
        given = [n for n, v in (("job", job), ("target", target), ("variables", variables)) if v is not None]
        if given:
            raise ConfigError(f"{source}: {', '.join(given)} apply to a bundle resource file; this is a job definition")
        return dict(data), []
    path = Path(source)
    name, spec = _pick_job(data, path, job)
    where = f"{path}: resources.jobs.{name}"
    root = find_bundle_root(path.parent)
    if root is None:
        raise ConfigError(f"{path}: no {'databricks.yml'} in its folder or above; the bundle's variables are needed")
    bundle = load_bundle(root)
    tgt = target_name(bundle, target)
    values = variable_values(bundle, tgt, variables)
    override = (((bundle.config.get("targets") or {}).get(tgt) or {}).get("resources") or {}).get("jobs") or {}
    spec = merge(spec, override.get(name) or {})
    spec = substitute(spec, substitution_context(bundle, tgt, values))
    spec.pop("permissions", None)  # bundle-only: the CLI sets them with a separate call
    _raise([f"{where}.{problem}" for problem in job_definition_problems(spec)])  # typos, before anything else
    compute = check_compute(values.get(COMPUTE_VARIABLE, CLASSIC), where=f"{bundle.root_file}: variables.compute")
    version = str(values.get("serverless_environment_version") or DEFAULT_ENVIRONMENT_VERSION)
    spec = select_compute(spec, compute, environment_version=version, where=f"{where}.")
    _raise(job_problems(path, name, spec, check_wheels=True))
    return _map_local_files(spec, path, where, upload_to)


def _pick_job(data: Mapping[str, Any], path: Path, job: str | None) -> tuple[str, dict[str, Any]]:
    resources = data.get("resources")
    jobs = resources.get("jobs") if isinstance(resources, Mapping) else None
    if not isinstance(jobs, Mapping) or not jobs:
        raise ConfigError(f"{path}: resources.jobs: no job defined (expected resources.jobs.<name>: {{...}})")
    if job is None:
        if len(jobs) != 1:
            raise ConfigError(f"{path}: resources.jobs: defines {', '.join(sorted(jobs))}; pass job= one of them")
        job = next(iter(jobs))
    if job not in jobs:
        raise ConfigError(f"{path}: resources.jobs.{job}: no such job (defined: {', '.join(sorted(jobs))})")
    if not isinstance(jobs[job], Mapping):
        raise ConfigError(f"{path}: resources.jobs.{job}: expected a mapping of job settings")
    return job, dict(jobs[job])


def _raise(problems: list[str]) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:3])})" if len(problems) > 1 else ""
        raise ConfigError(problems[0] + more)


def _map_local_files(
    spec: dict[str, Any], path: Path, where: str, upload_to: str | None
) -> tuple[dict[str, Any], list[LocalFile]]:
    files: list[LocalFile] = []

    def remote(key: str, relative: str) -> str:
        matches = sorted(glob.glob(str(path.parent / relative)))
        if len(matches) != 1:
            raise ConfigError(f"{key}: {relative!r} matches {len(matches)} files ({', '.join(matches[:3])}); keep one")
        if upload_to is None:
            raise ConfigError(
                f"{key}: {relative!r} is a local file; pass upload_to='/Workspace/...' or '/Volumes/...' "
                "to upload it, or name a workspace path"
            )
        local = Path(matches[0])
        target = str(PurePosixPath(upload_to) / local.name)
        files.append(LocalFile(key=key, local=local, remote=target))
        return target

    if upload_to is not None and not upload_to.startswith(UPLOAD_ROOTS):
        raise ConfigError(f"upload_to: {upload_to!r} must be a folder under {' or '.join(UPLOAD_ROOTS)}")
    for i, task in enumerate(spec.get("tasks") or []):
        python_task = task.get("spark_python_task") or {}
        if _is_local(python_task.get("python_file")):
            key = f"{where}.tasks[{i}].spark_python_task.python_file"
            python_task["python_file"] = remote(key, python_task["python_file"])
        for j, library in enumerate(task.get("libraries") or []):
            if _is_local((library or {}).get("whl")):
                library["whl"] = remote(f"{where}.tasks[{i}].libraries[{j}].whl", library["whl"])
    for i, env in enumerate(spec.get("environments") or []):
        deps = ((env or {}).get("spec") or {}).get("dependencies") or []
        for j, dep in enumerate(deps):
            if _is_local(dep) and dep.endswith(".whl"):
                deps[j] = remote(f"{where}.environments[{i}].spec.dependencies[{j}]", dep)
    return spec, _unique(files)


def _unique(files: list[LocalFile]) -> list[LocalFile]:
    seen, out = set(), []
    for f in files:
        if f.remote not in seen:
            seen.add(f.remote)
            out.append(f)
    return out
