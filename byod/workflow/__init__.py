"""Three ways to run a byod job, called the same way: locally, through the bundle CLI, or the Jobs API."""

from __future__ import annotations

from byod.workflow.bundle import (
    BundleCLINotFoundError,
    BundleRunResult,
    BundleStep,
    BundleStepError,
    run_byod_with_DABs,
)
from byod.workflow.jobs_api import JobRunError, JobRunResult, JobRunTimeoutError, run_byod_with_jobAPI
from byod.workflow.local import run_local
from byod.workflow.validate import job_definition_problems, validate_job_definition

__all__ = [
    "BundleCLINotFoundError",
    "BundleRunResult",
    "BundleStep",
    "BundleStepError",
    "JobRunError",
    "JobRunResult",
    "JobRunTimeoutError",
    "job_definition_problems",
    "run_byod_with_DABs",
    "run_byod_with_jobAPI",
    "run_local",
    "validate_job_definition",
]
