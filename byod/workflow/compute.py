"""One job definition, two kinds of compute: a classic job cluster (as written in resources/*.job.yml) or
serverless (an environment spec with the same libraries as ``dependencies``).

Why a transformation and not two YAML files: bundle variables substitute values, never structure, and the
two kinds differ in structure (a task names ``job_cluster_key`` + ``libraries`` on classic compute, an
``environment_key`` on serverless, where task-level ``libraries`` are not accepted). So the resources are
written for classic compute and this module rewrites a job for serverless when the bundle variable
``compute`` is ``serverless``: the bundle runs it as a Python mutator (:mod:`byod.workflow.bundle_mutators`),
``run_byod_with_jobAPI`` calls it directly, and the tests validate both results against the CLI's schema.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from byod.errors import ConfigError

COMPUTE_VARIABLE = "compute"
CLASSIC = "classic"
SERVERLESS = "serverless"
COMPUTE_KINDS = (CLASSIC, SERVERLESS)
ENVIRONMENT_KEY = "default"
# Serverless environment version 2 = Python 3.11, the Python of DBR 14.3/15.4 LTS (see docs/databricks.md).
DEFAULT_ENVIRONMENT_VERSION = "2"


def check_compute(value: Any, *, where: str = "variable compute") -> str:
    """Return ``value`` if it names a kind of compute, else a one-line ConfigError naming ``where``."""
    if value not in COMPUTE_KINDS:
        raise ConfigError(f"{where}: {value!r} is not a compute kind (allowed: {', '.join(COMPUTE_KINDS)})")
    return value


def select_compute(
    job: Mapping[str, Any], compute: str, *, environment_version: str = DEFAULT_ENVIRONMENT_VERSION, where: str = ""
) -> dict[str, Any]:
    """The job for ``compute``: unchanged (a deep copy) for classic, rewritten by :func:`to_serverless`."""
    check_compute(compute)
    if compute == CLASSIC:
        return copy.deepcopy(dict(job))
    return to_serverless(job, environment_version=environment_version, where=where)


def to_serverless(
    job: Mapping[str, Any], *, environment_version: str = DEFAULT_ENVIRONMENT_VERSION, where: str = ""
) -> dict[str, Any]:
    """Move every task off its job cluster onto one serverless environment holding the tasks' libraries.

    Tasks already on serverless (an ``environment_key``) are left alone; a library kind serverless cannot
    install (jar, maven, cran, egg) is a ConfigError naming the task.
    """
    job = copy.deepcopy(dict(job))
    clusters = {c.get("job_cluster_key") for c in job.get("job_clusters") or [] if isinstance(c, Mapping)}
    dependencies: list[str] = []
    moved = False
    for i, task in enumerate(job.get("tasks") or []):
        if not isinstance(task, dict) or task.get("job_cluster_key") not in clusters:
            continue
        task.pop("job_cluster_key")
        for j, library in enumerate(task.pop("libraries", None) or []):
            dependency = _dependency(library, f"{where}tasks[{i}].libraries[{j}]")
            if dependency not in dependencies:
                dependencies.append(dependency)
        task["environment_key"] = ENVIRONMENT_KEY
        moved = True
    if not moved:
        return job
    used = {t.get("job_cluster_key") for t in job.get("tasks") or [] if isinstance(t, Mapping)}
    job["job_clusters"] = [c for c in job.get("job_clusters") or [] if c.get("job_cluster_key") in used]
    if not job["job_clusters"]:
        del job["job_clusters"]
    environments = [e for e in job.get("environments") or [] if e.get("environment_key") != ENVIRONMENT_KEY]
    spec = {"environment_version": environment_version, "dependencies": dependencies}
    job["environments"] = [*environments, {"environment_key": ENVIRONMENT_KEY, "spec": spec}]
    return job


def _dependency(library: Any, where: str) -> str:
    """A task library as a serverless environment dependency (a pip requirement line)."""
    if isinstance(library, Mapping):
        if isinstance(library.get("whl"), str):
            return library["whl"]
        if isinstance(library.get("requirements"), str):
            return "-r " + library["requirements"]
        pypi = library.get("pypi")
        if isinstance(pypi, Mapping) and isinstance(pypi.get("package"), str) and not pypi.get("repo"):
            return pypi["package"]
    kind = next(iter(library), "?") if isinstance(library, Mapping) else type(library).__name__
    raise ConfigError(f"{where}: a {kind!r} library has no serverless equivalent; use compute=classic")
