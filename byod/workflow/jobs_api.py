"""Run a byod job through the Databricks Jobs API (databricks-sdk): validate, submit, wait, check.

``cfg`` holds one job definition in the ``jobs/create`` settings shape (see :mod:`byod.workflow.validate`).
``mode="submit"`` sends it as a one-time run (``runs/submit``: ``name`` becomes ``run_name`` and each
``job_cluster_key`` is replaced by that cluster's ``new_cluster``); ``mode="create_and_run"`` creates a
saved job (``jobs/create``) and starts it (``jobs/run-now``); the job stays in the workspace.

``cfg`` may also be a bundle resource file (``resources/<job>.job.yml``): its ``resources.jobs.<name>`` is
turned into such a definition (:mod:`byod.workflow.resource`), local files it names are uploaded
(:mod:`byod.workflow.upload`). Waiting uses the SDK's own waiter (``Wait.result``); the token is sent only
over https (or to a loopback test server when allowed) and is masked in every result, error and log record.
"""

from __future__ import annotations

import copy
import datetime
import enum
import logging
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from byod.errors import ConfigError, WorkflowError
from byod.workflow.secrets import redact, secrets_from_env
from byod.workflow.transport import check_host, client_secrets, masked_logs
from byod.workflow.validate import load_job_definition, validate_job_definition

log = logging.getLogger("byod.workflow")

Mode = Literal["submit", "create_and_run"]
_MODES = ("submit", "create_and_run")
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
    payload.pop("description", None)  # a saved job's label; a one-time run has none and nothing depends on it
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


def _make_client(timeout_s: float, allow_insecure_loopback: bool) -> Any:
    import os

    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    # Refuse a plain-http host before the SDK contacts it; the built client's host is checked again below
    # (a profile in ~/.databrickscfg can name the host too).
    check_host(os.environ.get("DATABRICKS_HOST"), allow_insecure_loopback=allow_insecure_loopback)
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


@dataclass
class _Seen:
    """The last run state the waiter reported, every server-supplied text already masked."""

    secrets: list[str]
    life: str | None = None
    result: str | None = None
    message: str = ""
    url: str | None = None

    def update(self, run: Any) -> None:
        life, result, message = _state(run)
        self.life, self.result, self.message = life, result, redact(message, self.secrets)
        if run.run_page_url:
            self.url = redact(run.run_page_url, self.secrets)
        log.info("Jobs API run %s: %s %s", run.run_id, life, self.message[:200])


def _fail(cls: type[JobRunError], message: str, seen: _Seen | None, secrets: list[str], **fields: Any) -> JobRunError:
    """A JobRunError whose message and fields hold no secret (the server may echo the token anywhere)."""
    if seen is not None:
        fields.setdefault("state", seen.life)
        fields.setdefault("result_state", seen.result)
        fields.setdefault("run_page_url", seen.url)
    if fields.get("run_page_url"):
        fields["run_page_url"] = redact(fields["run_page_url"], secrets)
    return cls(redact(message, secrets), **fields)


def run_byod_with_jobAPI(  # noqa: N802 - the name is the public API asked for
    cfg: str | Path | dict[str, Any] | Any,
    *,
    mode: Mode = "submit",
    job: str | None = None,
    target: str | None = None,
    variables: Mapping[str, Any] | None = None,
    upload_to: str | None = None,
    timeout_s: float = 3600.0,
    cancel_on_timeout: bool = True,
    client: Any | None = None,
    allow_insecure_loopback: bool = False,
) -> JobRunResult:
    """Validate a job definition, run it through the Jobs API, wait for it and check how it ended.

    Args:
        cfg: a YAML path, dict or OmegaConf config holding a Jobs API job definition, or a bundle resource
            file (``resources/<job>.job.yml``) whose ``resources.jobs.<name>`` is converted.
        mode: ``"submit"`` (one-time run) or ``"create_and_run"`` (saved job + run-now).
        job: which job of a bundle resource file (needed only when it defines several).
        target: bundle target whose variables apply (default: the bundle's default target).
        variables: bundle variables (``{"compute": "serverless", "output_path": ...}``), over the target's.
        upload_to: workspace (``/Workspace/...``) or volume (``/Volumes/...``) folder the local files a
            resource names (entry script, wheel) are uploaded to; needed when it names local files.
        timeout_s: seconds to wait for the run to finish (the request retries stop within it too).
        cancel_on_timeout: cancel the run when ``timeout_s`` passes.
        client: a ``databricks.sdk.WorkspaceClient``; by default one from ``DATABRICKS_HOST`` /
            ``DATABRICKS_TOKEN`` or the config profile.
        allow_insecure_loopback: allow an ``http://`` host on 127.0.0.1/::1/localhost (local test servers).
            Any other ``http://`` host is refused: the token would travel unencrypted.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0 seconds, got {timeout_s}")
    from byod.workflow.resource import resolve_definition

    data, source = load_job_definition(cfg)
    definition, local_files = resolve_definition(
        data, source, job=job, target=target, variables=variables, upload_to=upload_to
    )
    validate_job_definition(definition, source=source)
    kwargs = _request_kwargs(definition, mode, source)
    secrets = secrets_from_env()
    with masked_logs(secrets):
        return _run(
            kwargs,
            mode,
            local_files,
            secrets,
            timeout_s=timeout_s,
            cancel_on_timeout=cancel_on_timeout,
            client=client,
            allow_insecure_loopback=allow_insecure_loopback,
        )


def _request_kwargs(definition: dict[str, Any], mode: Mode, source: str) -> dict[str, Any]:
    from databricks.sdk.service.jobs import JobsAPI

    try:
        if mode == "submit":
            return _sdk_kwargs(JobsAPI.submit, submit_payload(definition))
        return _sdk_kwargs(JobsAPI.create, definition)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _run(
    kwargs: dict[str, Any],
    mode: Mode,
    local_files: Any,
    secrets: list[str],
    *,
    timeout_s: float,
    cancel_on_timeout: bool,
    client: Any | None,
    allow_insecure_loopback: bool,
) -> JobRunResult:
    from databricks.sdk.errors import DatabricksError

    step, failure = "connect", None
    try:
        w = client if client is not None else _make_client(timeout_s, allow_insecure_loopback)
        secrets.extend(client_secrets(w))
        check_host(getattr(w.config, "host", None), allow_insecure_loopback=allow_insecure_loopback)
        if local_files:
            from byod.workflow.upload import upload_files

            step = "upload"
            upload_files(w, local_files)
        job_id = None
        if mode == "submit":
            step = "runs/submit"
            waiter = w.jobs.submit(**kwargs)
        else:
            step = "jobs/create"
            job_id = w.jobs.create(**kwargs).job_id
            step = "jobs/run-now"
            waiter = w.jobs.run_now(job_id=job_id)
        run_id = waiter.run_id
        log.info("Jobs API %s: run %s started", step, run_id)
        step = "runs/get"
        return _wait(
            w, waiter, run_id, job_id, timeout_s=timeout_s, cancel_on_timeout=cancel_on_timeout, secrets=secrets
        )
    except ConfigError:
        raise
    except (DatabricksError, ValueError, OSError) as exc:
        status = getattr(exc, "error_code", None) or type(exc).__name__
        failure = _fail(JobRunError, f"Jobs API {step} failed ({status}): {exc}", None, secrets)
    raise failure  # outside the except block: the SDK's exception (and what it echoed) is not chained


def _wait(
    w: Any,
    waiter: Any,
    run_id: int,
    job_id: int | None,
    *,
    timeout_s: float,
    cancel_on_timeout: bool,
    secrets: list[str],
) -> JobRunResult:
    """Wait with the SDK's own waiter (``Wait.result``); on timeout cancel the run unless told not to."""
    from databricks.sdk.errors import OperationFailed

    seen = _Seen(secrets)
    timed_out = False
    try:
        run = waiter.result(timeout=datetime.timedelta(seconds=timeout_s), callback=seen.update)
        seen.update(run)
    except OperationFailed:  # INTERNAL_ERROR: the callback saw that run just before the waiter gave up
        pass
    except TimeoutError:
        timed_out = True
    if timed_out:
        if cancel_on_timeout:
            try:
                w.jobs.cancel_run(run_id)
            except Exception as exc:  # noqa: BLE001 - the timeout is the error to report; a failed cancel is logged
                log.warning("cancelling run %s after the timeout failed: %s", run_id, type(exc).__name__)
        raise _fail(
            JobRunTimeoutError,
            f"run {run_id} not finished after {timeout_s:.0f} s (last state {seen.life}); "
            f"{'cancel requested' if cancel_on_timeout else 'left running'}; see {seen.url}",
            seen,
            secrets,
            run_id=run_id,
        )
    if seen.result != _SUCCESS:
        raise _fail(
            JobRunError,
            f"run {run_id} ended {seen.life}/{seen.result}: {seen.message[:500]} (see {seen.url})",
            seen,
            secrets,
            run_id=run_id,
        )
    return JobRunResult(
        run_id=run_id,
        job_id=job_id,
        state=seen.life or "",
        result_state=seen.result,
        state_message=seen.message,
        run_page_url=seen.url,
    )
