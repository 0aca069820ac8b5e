"""Python mutators the Databricks CLI applies to the bundle's jobs (``python.mutators`` in databricks.yml).

The CLI runs ``python -m databricks.bundles.build --phase apply_mutators`` in the bundle's venv, which
imports this module; it needs ``databricks-bundles`` (the ``byod[databricks]`` extra). Kept apart from
:mod:`byod.workflow.compute` so that byod itself never imports databricks-bundles at run time.
"""

from __future__ import annotations

from databricks.bundles.core import Bundle, job_mutator
from databricks.bundles.jobs import Job

from byod.workflow.compute import CLASSIC, COMPUTE_VARIABLE, DEFAULT_ENVIRONMENT_VERSION, check_compute, select_compute

ENVIRONMENT_VERSION_VARIABLE = "serverless_environment_version"


@job_mutator
def select_job_compute(bundle: Bundle, job: Job) -> Job:
    """Rewrite a classic-compute job for serverless when the bundle variable ``compute`` says so."""
    compute = check_compute(bundle.variables.get(COMPUTE_VARIABLE, CLASSIC))
    if compute == CLASSIC:
        return job
    version = str(bundle.variables.get(ENVIRONMENT_VERSION_VARIABLE) or DEFAULT_ENVIRONMENT_VERSION)
    return Job.from_dict(select_compute(job.as_dict(), compute, environment_version=version))
