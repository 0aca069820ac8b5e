"""Run a byod job through its Databricks Asset Bundle: ``databricks bundle deploy`` then ``bundle run``.

The CLI is the Go binary ``databricks`` (v0.2xx and later), not the legacy PyPI ``databricks-cli``;
it is called with argument lists only (never a shell), each step with a timeout.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byod.errors import ConfigError, WorkflowError
from byod.workflow.secrets import redact, secrets_from_env

log = logging.getLogger("byod.workflow")

CLI_INSTALL_URL = "https://docs.databricks.com/dev-tools/cli/install.html"
# Names the CLI accepts for resource keys, targets and variables (letters, digits, _ and -).
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# `databricks bundle run` prints "Run URL: https://<host>/?o=<id>#job/<job>/run/<run>" (or /jobs/.../runs/...).
_RUN_URL = re.compile(r"Run URL:\s*(\S+)")
_ANY_RUN_URL = re.compile(r"https?://\S+?(?:#job/\d+/run/\d+|/jobs/\d+/runs/\d+)\S*")
_OUTPUT_TAIL_CHARS = 2000


class BundleCLINotFoundError(WorkflowError):
    """Raised when the ``databricks`` executable is not on PATH."""


class BundleStepError(WorkflowError):
    """Raised when ``bundle deploy`` or ``bundle run`` exits non-zero or times out; carries its output."""

    def __init__(self, message: str, *, step: str, returncode: int | None, output: str) -> None:
        super().__init__(message)
        self.step = step
        self.returncode = returncode
        self.output = output


@dataclass(frozen=True, kw_only=True)
class BundleStep:
    """One CLI call: its argv, exit code, output (credentials masked) and wall time."""

    name: str
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass(frozen=True, kw_only=True)
class BundleRunResult:
    """What ``run_byod_with_DABs`` did: both steps and the run URL the CLI printed (None if none)."""

    job: str
    target: str
    deploy: BundleStep
    run: BundleStep
    run_url: str | None


def parse_run_url(text: str) -> str | None:
    """The job run URL in ``bundle run`` output, or None when the CLI printed none."""
    if match := _RUN_URL.search(text):
        return match.group(1)
    match = _ANY_RUN_URL.search(text)
    return match.group(0) if match else None


def _check_name(kind: str, value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"{kind} {value!r} is not a valid bundle name (letters, digits, '_' and '-'; no spaces)")
    return value


def _var_args(variables: dict[str, Any] | None) -> list[str]:
    if variables is None:
        return []
    if not isinstance(variables, dict):
        raise TypeError(f"variables must be a dict of name -> value, got {type(variables).__name__}")
    args = []
    for name, value in variables.items():
        _check_name("variable", name)
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, str | int | float):
            raise TypeError(f"variable {name!r} must be a str, int, float or bool, got {type(value).__name__}")
        # One argv element per variable: the value is never parsed by a shell.
        args += ["--var", f"{name}={value}"]
    return args


def _check_bundle(bundle_dir: Path, job: str, target: str, variables: dict[str, Any] | None) -> None:
    """Fail early, without the CLI, on a missing job or target, a typo, or a broken deploy-time rule."""
    from byod.workflow.bundle_config import load_bundle, target_name
    from byod.workflow.bundle_rules import bundle_problems

    root = bundle_dir / "databricks.yml"
    if not root.is_file():
        raise ConfigError(f"no databricks.yml in bundle_dir {str(bundle_dir)!r}; pass the folder holding the bundle")
    bundle = load_bundle(bundle_dir)
    target_name(bundle, target)
    jobs = bundle.job_files()
    if job not in jobs:
        raise ConfigError(f"{root}: resources.jobs.{job}: no such job (known jobs: {', '.join(sorted(jobs))})")
    problems = bundle_problems(bundle, target, variables)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(problems[0] + more)


def _run_step(name: str, argv: list[str], *, cwd: Path, env: dict[str, str], timeout_s: float) -> BundleStep:
    secrets = secrets_from_env(env)
    log.info("databricks bundle %s: starting (timeout %.0f s)", name, timeout_s)
    start = time.monotonic()
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        output = redact(_text(exc.stdout) + _text(exc.stderr), secrets)
        raise BundleStepError(
            f"databricks bundle {name} timed out after {timeout_s:.0f} s (killed); output:\n{_tail(output)}",
            step=name,
            returncode=None,
            output=output,
        ) from None
    step = BundleStep(
        name=name,
        argv=tuple(redact(a, secrets) for a in argv),
        returncode=done.returncode,
        stdout=redact(done.stdout, secrets),
        stderr=redact(done.stderr, secrets),
        seconds=time.monotonic() - start,
    )
    log.info("databricks bundle %s: exit code %d after %.1f s", name, step.returncode, step.seconds)
    if step.returncode != 0:
        output = step.stdout + step.stderr
        hint = ""
        if "No such command 'bundle'" in output:
            hint = f"\nThis is the legacy PyPI databricks-cli; install the current CLI: {CLI_INSTALL_URL}"
        raise BundleStepError(
            f"databricks bundle {name} failed with exit code {step.returncode}; output:\n{_tail(output)}{hint}",
            step=name,
            returncode=step.returncode,
            output=output,
        )
    return step


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _tail(text: str) -> str:
    return text if len(text) <= _OUTPUT_TAIL_CHARS else "..." + text[-_OUTPUT_TAIL_CHARS:]


def run_byod_with_DABs(  # noqa: N802 - the name is the public API asked for
    job: str,
    target: str = "dev",
    variables: dict[str, Any] | None = None,
    *,
    bundle_dir: str | Path | None = None,
    timeout_s: float = 3600.0,
    databricks_bin: str = "databricks",
    env: dict[str, str] | None = None,
    profile: str | None = None,
) -> BundleRunResult:
    """Deploy the bundle to ``target`` and run ``job`` in it; raise BundleStepError naming a failed step.

    Args:
        job: resource key of the job in ``resources/*.yml`` (``c4_arxiv``, ``ft_data_prep``).
        target: bundle target (``dev`` or ``prod``).
        variables: bundle variables, passed to both steps as ``--var name=value``.
        bundle_dir: folder holding ``databricks.yml`` (the byod checkout); None means the current directory.
        timeout_s: limit for each step, in seconds; ``bundle run`` waits for the job to finish.
        databricks_bin: name or path of the Databricks CLI executable.
        env: extra environment for the CLI, on top of this process's (``DATABRICKS_HOST``, ...).
        profile: profile in ``~/.databrickscfg`` to use (``--profile``).
    """
    _check_name("job", job)
    _check_name("target", target)
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be > 0 seconds, got {timeout_s}")
    var_args = _var_args(variables)
    bundle_dir = Path.cwd() if bundle_dir is None else Path(bundle_dir)
    _check_bundle(bundle_dir, job, target, variables)
    full_env = {**os.environ, **(env or {})}
    executable = shutil.which(databricks_bin, path=full_env.get("PATH"))
    if executable is None:
        raise BundleCLINotFoundError(
            f"Databricks CLI {databricks_bin!r} not found on PATH. Install the current CLI (the `databricks` "
            f"Go binary, v0.205 or later; not the legacy PyPI package databricks-cli): {CLI_INSTALL_URL}"
        )
    common = ["-t", target, *(["--profile", _check_name("profile", profile)] if profile else []), *var_args]
    deploy = _run_step(
        "deploy", [executable, "bundle", "deploy", *common], cwd=bundle_dir, env=full_env, timeout_s=timeout_s
    )
    run = _run_step(
        "run", [executable, "bundle", "run", *common, job], cwd=bundle_dir, env=full_env, timeout_s=timeout_s
    )
    return BundleRunResult(
        job=job, target=target, deploy=deploy, run=run, run_url=parse_run_url(run.stdout + "\n" + run.stderr)
    )
