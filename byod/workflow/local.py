"""Run a byod job on local (or the active) Spark, with the same call shape as the Databricks runners."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def normalize_overrides(overrides: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    """``{"a": {"b": 1}, "c": True}`` -> ``["a.b=1", "c=true"]``; a list of ``key=value`` is kept as is.

    Values are written as YAML scalars (the job's config loader reads them back with their types):
    ``None`` -> ``null``, booleans -> ``true``/``false``, lists -> JSON (a YAML flow sequence).
    """
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{key}={_scalar(value)}" for key, value in _flatten(overrides, "")]
    if isinstance(overrides, str) or not isinstance(overrides, Sequence):
        raise TypeError(f"overrides must be a dict or a list of 'key=value' strings, got {type(overrides).__name__}")
    items = list(overrides)
    for item in items:
        if not isinstance(item, str) or "=" not in item:
            raise ValueError(f"override {item!r} is not 'key=value' (for example output=/tmp/out)")
    return items


def _flatten(mapping: Mapping[str, Any], prefix: str) -> list[tuple[str, Any]]:
    flat = []
    for key, value in mapping.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"override keys must be non-empty strings, got {key!r}")
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat += _flatten(value, name + ".")
        else:
            flat.append((name, value))
    return flat


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | Mapping):
        return json.dumps(value if not isinstance(value, tuple) else list(value))
    if isinstance(value, Path):
        return str(value)
    return str(value)


def run_local(
    job: str, overrides: Mapping[str, Any] | Sequence[str] | None = None, *, config: str | Path | None = None
) -> dict[str, Any]:
    """Run ``jobs/<job>.py`` in this process on the active or a local Spark session; return its report.

    Args:
        job: job name, the stem of a script in ``jobs/`` (``c4_arxiv``, ``ft_data_prep``).
        overrides: config overrides, as a dict (nested dicts become dotted keys) or ``key=value`` strings.
        config: YAML config file for the job; None uses the job's defaults.
    """
    if not isinstance(job, str) or not job:
        raise TypeError(f"job must be a job name such as 'c4_arxiv', got {job!r}")
    from byod.runner import run_job  # lazy: importing byod.workflow must not start Spark

    return run_job(job, config=None if config is None else str(config), overrides=normalize_overrides(overrides))
