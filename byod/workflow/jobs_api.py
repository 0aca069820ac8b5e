"""Run a byod job through the Databricks Jobs API (databricks-sdk): validate, submit, wait, check.

``cfg`` holds one job definition in the ``jobs/create`` settings shape (see :mod:`byod.workflow.validate`).
``mode="submit"`` sends it as a one-time run (``runs/submit``: ``name`` becomes ``run_name`` and each
``job_cluster_key`` is replaced by that cluster's ``new_cluster``); ``mode="create_and_run"`` creates a
saved job (``jobs/create``) and starts it (``jobs/run-now``); the job stays in the workspace.
"""

from __future__ import annotations

import copy
import enum
import logging
import math
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from byod.errors import ConfigError, WorkflowError
from byod.workflow.secrets import redact, secrets_from_env
from byod.workflow.validate import load_job_definition, validate_job_definition

log = logging.getLogger("byod.workflow")

Mode = Literal["submit", "create_and_run"]
_MODES = ("submit", "create_and_run")
# Life-cycle states after which a run never changes (RunLifeCycleState; RunLifecycleStateV2State).
_TERMINAL = frozenset({"TERMINATED", "SKIPPED", "INTERNAL_ERROR"})
_SUCCESS = "SUCCESS"


class JobRunError(WorkflowError):
    """Raised when a Jobs API call fails or a run ends in any state but SUCCESS; carries the run's state."""

    def __init__(
        self,
        message: str,
        *,
        run_id: int | None = None,
        state: str | None = None,
        result_state: str | None = None,
        run_page_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.state = state
        self.result_state = result_state
        self.run_page_url = run_page_url


class JobRunTimeoutError(JobRunError):
    """Raised when a run is not finished within ``timeout_s`` (it is cancelled first unless asked not to)."""


@dataclass(frozen=True, kw_only=True)
class JobRunResult:
    """A finished, successful run: ids, final states, the state message and the run page."""

    run_id: int
    job_id: int | None
    state: str
    result_state: str | None
    state_message: str
    run_page_url: str | None


def submit_payload(definition: dict[str, Any]) -> dict[str, Any]:
    """The ``runs/submit`` body for a ``jobs/create``-shaped definition; keys it cannot take are errors."""
    from databricks.sdk.service.jobs import JobsAPI

    accepted = set(typing.get_type_hints(JobsAPI.submit)) - {"return"}
    payload = copy.deepcopy(definition)
    clusters = {c["job_cluster_key"]: c["new_cluster"] for c in payload.pop("job_clusters", None) or []}
    if "name" in payload:
        payload["run_name"] = payload.pop("name")
    for task in payload.get("tasks") or []:
        if "job_cluster_key" in task:
            task["new_cluster"] = copy.deepcopy(clusters[task.pop("job_cluster_key")])
    rejected = sorted(set(payload) - accepted)
    if rejected:
        raise ConfigError(
            "job definition keys runs/submit does not accept: "
            + ", ".join(rejected)
            + "; remove them or use mode='create_and_run'"
        )
    return payload


def _sdk_kwargs(method: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Typed SDK arguments for ``method``; a key the installed SDK would silently drop is an error."""
    hints = typing.get_type_hints(method)
    kwargs, lost = {}, []
    for key, value in payload.items():
        tpe = _unwrap_optional(hints[key])
        if typing.get_origin(tpe) is list:
            (item,) = typing.get_args(tpe)
            kwargs[key] = [_convert(item, v) for v in value]
            for i, (sent, kept) in enumerate(zip(value, kwargs[key], strict=True)):
                lost += _lost_keys(sent, _as_json(kept), f"{key}[{i}]")
        else:
            kwargs[key] = _convert(tpe, value)
            lost += _lost_keys(value, _as_json(kwargs[key]), key)
    if lost:
        from databricks.sdk.version import __version__

        raise ConfigError(
            f"databricks-sdk {__version__} would drop these keys: {', '.join(lost)}; "
            "upgrade databricks-sdk or remove them"
        )
    return kwargs


def _unwrap_optional(tpe: Any) -> Any:
    args = [a for a in typing.get_args(tpe) if a is not type(None)]
    return args[0] if typing.get_origin(tpe) is typing.Union and len(args) == 1 else tpe


def _convert(tpe: Any, value: Any) -> Any:
    if hasattr(tpe, "from_dict") and isinstance(value, dict):
        return tpe.from_dict(value)
    if isinstance(tpe, type) and issubclass(tpe, enum.Enum):
        return tpe(value)
    return value


def _as_json(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return value.value if isinstance(value, enum.Enum) else value


def _lost_keys(sent: Any, kept: Any, path: str) -> list[str]:
    if isinstance(sent, dict) and isinstance(kept, dict):
        lost = []
        for key, value in sent.items():
            if key not in kept:
                if value not in (None, [], {}):  # the SDK omits empty values; nothing is lost
                    lost.append(f"{path}.{key}")
            else:
                lost += _lost_keys(value, kept[key], f"{path}.{key}")
        return lost
    if isinstance(sent, list) and isinstance(kept, list):
        return [k for i, (s, c) in enumerate(zip(sent, kept, strict=False)) for k in _lost_keys(s, c, f"{path}[{i}]")]
    return []


def _make_client(timeout_s: float) -> Any:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    # Host and credentials come from DATABRICKS_* variables or the config profile (unified auth).
    # Retries of one request stop within the run's own timeout, not the SDK's default 300 s.
    budget = max(1, int(min(timeout_s, 300)))
    return WorkspaceClient(config=Config(retry_timeout_seconds=budget, http_timeout_seconds=min(budget, 60)))


def _state(run: Any) -> tuple[str | None, str | None, str]:
    """``(life_cycle_state, result_state, state_message)`` from a Run, API 2.2 ``status`` as fallback."""
    life = result = None
    message = ""
    if run.state is not None:
        life = run.state.life_cycle_state.value if run.state.life_cycle_state else None
        result = run.state.result_state.value if run.state.result_state else None
        message = run.state.state_message or ""
    if life is None and run.status is not None and run.status.state is not None:
        life = run.status.state.value
        details = run.status.termination_details
        if details is not None:
            result = details.code.value if details.code else None
            message = details.message or message
    return life, result, message


def run_byod_with_jobAPI(  # noqa: N802 - the name is the public API asked for
    cfg: str | Path | dict[str, Any] | Any,
    *,
    mode: Mode = "submit",
    timeout_s: float = 3600.0,
    poll_s: float = 10.0,
    cancel_on_timeout: bool = True,
    client: Any | None = None,
) -> JobRunResult:
    """Validate a job definition, run it through the Jobs API, wait for it and check how it ended.

    Args:
        cfg: path to a YAML file, a dict or an OmegaConf config holding the job definition.
        mode: ``"submit"`` (one-time run) or ``"create_and_run"`` (saved job + run-now).
        timeout_s: seconds to wait for the run to finish (the request retries stop within it too).
        poll_s: seconds between ``runs/get`` polls.
        cancel_on_timeout: cancel the run when ``timeout_s`` passes.
        client: a ``databricks.sdk.WorkspaceClient``; by default one from ``DATABRICKS_HOST`` /
            ``DATABRICKS_TOKEN`` or the config profile.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if not timeout_s > 0 or not poll_s > 0:
        raise ValueError(f"timeout_s and poll_s must be > 0 seconds, got {timeout_s} and {poll_s}")
    definition, source = load_job_definition(cfg)
    validate_job_definition(definition, source=source)

    from databricks.sdk.errors import DatabricksError
    from databricks.sdk.service.jobs import JobsAPI

    secrets = secrets_from_env()
    try:
        if mode == "submit":
            kwargs = _sdk_kwargs(JobsAPI.submit, submit_payload(definition))
        else:
            kwargs = _sdk_kwargs(JobsAPI.create, definition)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    step = "connect"
    try:
        w = client if client is not None else _make_client(timeout_s)
        secrets.append(getattr(getattr(w, "config", None), "token", None) or "")
        job_id = None
        if mode == "submit":
            step = "runs/submit"
            run_id = w.jobs.submit(**kwargs).run_id
        else:
            step = "jobs/create"
            job_id = w.jobs.create(**kwargs).job_id
            step = "jobs/run-now"
            run_id = w.jobs.run_now(job_id=job_id).run_id
        log.info("Jobs API %s: run %s started", step, run_id)
        step = "runs/get"
        return _wait(
            w, run_id, job_id, timeout_s=timeout_s, poll_s=poll_s, cancel_on_timeout=cancel_on_timeout, secrets=secrets
        )
    except (DatabricksError, ValueError, OSError) as exc:
        if isinstance(exc, ConfigError):
            raise
        status = getattr(exc, "error_code", None) or type(exc).__name__
        raise JobRunError(redact(f"Jobs API {step} failed ({status}): {exc}", secrets)) from None


def _wait(
    w: Any,
    run_id: int,
    job_id: int | None,
    *,
    timeout_s: float,
    poll_s: float,
    cancel_on_timeout: bool,
    secrets: list[str],
) -> JobRunResult:
    deadline = time.monotonic() + timeout_s
    life, result, message, url = None, None, "", None
    for _ in range(math.ceil(timeout_s / poll_s) + 2):  # bounded even if the clock misbehaves
        run = w.jobs.get_run(run_id)
        life, result, message = _state(run)
        message = redact(message, secrets)
        url = run.run_page_url or url
        if life in _TERMINAL:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(poll_s, remaining))
    if life not in _TERMINAL:
        if cancel_on_timeout:
            try:
                w.jobs.cancel_run(run_id)
            except Exception as exc:  # noqa: BLE001 - the timeout is the error to report; a failed cancel is logged
                log.warning("cancelling run %s after the timeout failed: %s", run_id, type(exc).__name__)
        raise JobRunTimeoutError(
            f"run {run_id} not finished after {timeout_s:.0f} s (last state {life}); "
            f"{'cancel requested' if cancel_on_timeout else 'left running'}; see {url}",
            run_id=run_id,
            state=life,
            result_state=result,
            run_page_url=url,
        )
    if result != _SUCCESS:
        raise JobRunError(
            f"run {run_id} ended {life}/{result}: {message[:500]} (see {url})",
            run_id=run_id,
            state=life,
            result_state=result,
            run_page_url=url,
        )
    return JobRunResult(
        run_id=run_id, job_id=job_id, state=life, result_state=result, state_message=message, run_page_url=url
    )
