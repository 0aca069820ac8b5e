"""Find a job script in ``jobs/`` and run it in this process, the same way spark-submit would."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from byod.errors import ConfigError


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


def available_jobs() -> dict[str, Path]:
    """Every job script found, by name (first folder wins)."""
    found: dict[str, Path] = {}
    for folder in job_dirs():
        for script in sorted(folder.glob("*.py")):
            if not script.name.startswith("_"):
                found.setdefault(script.stem, script)
    return found


def load_job(job: str) -> ModuleType:
    """Import ``jobs/<job>.py`` as a module (its ``__main__`` guard keeps it from running)."""
    jobs = available_jobs()
    if job not in jobs:
        raise ConfigError(f"unknown job '{job}'; available: {sorted(jobs) or 'none'} "
                          f"(looked in {[str(d) for d in job_dirs()]})")
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
    from byod.job import execute

    module = load_job(job)
    return execute(job, module.Config, module.plan, module.run, config=config, overrides=overrides)
