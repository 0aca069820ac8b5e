"""Find a job script in ``jobs/`` and run it in this process, the same way spark-submit would."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from byod.errors import ConfigError


def require_pyspark() -> None:
    """pyspark is an extra (a cluster brings its own): say how to get it instead of an ImportError."""
    if importlib.util.find_spec("pyspark") is None:
        raise ConfigError("pyspark is not installed: on a laptop, pip install 'byod[spark]'; on a cluster, "
                          "run byod where Spark is available")


def job_dirs() -> list[Path]:
    """Where jobs are looked for: $BYOD_JOBS_DIR, ./jobs, then the jobs/ beside the byod package."""
    dirs = []
    if os.environ.get("BYOD_JOBS_DIR"):
        dirs.append(Path(os.environ["BYOD_JOBS_DIR"]))
    dirs.append(Path.cwd() / "jobs")
    dirs.append(Path(__file__).resolve().parent.parent / "jobs")
    seen, unique = set(), []
    for d in dirs:
        if d.resolve() not in seen and d.is_dir():
            seen.add(d.resolve())
            unique.append(d)
    return unique


def _builtin_dir() -> Path:
    return Path(__file__).resolve().parent / "jobs"


def available_jobs() -> dict[str, Path]:
    """Every job found, by name: $BYOD_JOBS_DIR and ./jobs first, then the jobs byod ships, then the
    jobs/ of a checkout beside the package (first one wins)."""
    from byod.jobs import BUILTIN_JOBS

    found: dict[str, Path] = {}
    folders = job_dirs()
    for folder in folders[:-1] if folders and folders[-1] == _checkout_jobs() else folders:
        _add_scripts(found, folder)
    for name in BUILTIN_JOBS:
        found.setdefault(name, _builtin_dir() / f"{name}.py")
    if _checkout_jobs().is_dir():
        _add_scripts(found, _checkout_jobs())
    return found


def _checkout_jobs() -> Path:
    return Path(__file__).resolve().parent.parent / "jobs"


def _add_scripts(found: dict[str, Path], folder: Path) -> None:
    for script in sorted(folder.glob("*.py")):
        if not script.name.startswith("_"):
            found.setdefault(script.stem, script)


def load_job(job: str) -> ModuleType:
    """The job's module: a shipped one from ``byod.jobs``, or ``jobs/<job>.py`` loaded from its file."""
    from byod.safepath import check_name

    check_name(job, "job name")
    jobs = available_jobs()
    if job not in jobs:
        raise ConfigError(f"unknown job '{job}'; available: {sorted(jobs) or 'none'} "
                          f"(looked in {[str(d) for d in job_dirs()]} and byod.jobs)")
    if jobs[job].resolve().parent == _builtin_dir():
        module = importlib.import_module(f"byod.jobs.{job}")
    else:
        spec = importlib.util.spec_from_file_location(f"byod_job_{job}", jobs[job])
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses resolve string annotations through sys.modules
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    for attr in ("Config", "plan", "run"):
        if not hasattr(module, attr):
            raise ConfigError(f"job script {jobs[job]} defines no '{attr}'")
    return module


def run_job(job: str, *, config: str | None = None,
            overrides: Sequence[str] | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run a job on the active or a local Spark session; returns its report (raises ByodError)."""
    require_pyspark()
    from byod.job import execute

    module = load_job(job)
    return execute(job, module.Config, module.plan, module.run, config=config, overrides=overrides)
