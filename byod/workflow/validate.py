"""Checks a Databricks job definition before anything is sent, naming the path of every bad key.

The SDK's own ``from_dict`` silently drops unknown keys (a typo'd ``pyton_file`` vanishes and the run
fails on the cluster much later), and ``databricks.bundles.jobs.Job.from_dict`` stops at the first
problem without saying where it is. So this module walks the typed classes of ``databricks-bundles``
itself and reports every problem as ``path: what is wrong``, e.g.
``tasks[0].spark_python_task.pyton_file: unknown key (did you mean 'python_file'?)``.

The definition is the ``jobs/create`` settings shape: the keys of one job under
``resources.jobs.<key>`` in a bundle resource file, with every ``${var...}`` resolved and workspace or
cloud paths instead of bundle-relative ones.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import enum
import functools
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from types import NoneType, UnionType
from typing import Any

from byod.errors import ConfigError

# Keys a bundle resource accepts but the Jobs API does not: the CLI turns them into other calls.
BUNDLE_ONLY_KEYS = frozenset({"permissions", "lifecycle"})
# An unresolved bundle reference; the Jobs API has no variables (its own dynamic values use {{...}}).
_BUNDLE_REFERENCE = re.compile(r"\$\{(var|bundle|workspace|resources|artifacts)\.[^}]*\}")
_MAX_LISTED = 20


def load_job_definition(cfg: str | Path | Mapping[str, Any] | Any) -> tuple[dict[str, Any], str]:
    """Return ``(definition, source)`` from a YAML path, a dict or an OmegaConf config (a deep copy).

    ``source`` names where it came from, for error messages. YAML is read with ``yaml.safe_load``.
    """
    if isinstance(cfg, str | Path):
        import yaml

        path = Path(cfg)
        if not path.is_file():
            raise ConfigError(f"job definition file {str(path)!r} does not exist; pass a YAML path, dict or OmegaConf")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"job definition file {str(path)!r} is not valid YAML: {exc}") from None
        source = str(path)
    else:
        data, source = _from_object(cfg), "<" + type(cfg).__name__ + ">"
    if not isinstance(data, Mapping):
        raise ConfigError(f"job definition in {source} must be a mapping of job settings, got {type(data).__name__}")
    return copy.deepcopy(dict(data)), source


def _from_object(cfg: Any) -> Any:
    try:
        from omegaconf import DictConfig, OmegaConf
    except ImportError:  # omegaconf is a core dependency, but a plain dict needs nothing else
        DictConfig = None  # noqa: N806
    if DictConfig is not None and isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True)
    if isinstance(cfg, Mapping):
        return cfg
    raise TypeError(f"cfg must be a YAML path, a dict or an OmegaConf DictConfig, got {type(cfg).__name__}")


def job_definition_problems(definition: Mapping[str, Any]) -> list[str]:
    """Return every problem in a job definition as ``"path: problem"``; an empty list means valid."""
    from databricks.bundles.jobs import Job

    problems: list[str] = []
    if not isinstance(definition, Mapping):
        return [f"<root>: expected a mapping of job settings, got {type(definition).__name__}"]
    for key in sorted(BUNDLE_ONLY_KEYS & set(definition)):
        problems.append(f"{key}: bundle-only key, the Jobs API does not accept it (set it in the bundle instead)")
    body = {k: v for k, v in definition.items() if k not in BUNDLE_ONLY_KEYS}
    _check(Job, body, "", problems)
    problems.extend(_cross_reference_problems(definition))
    return problems


def validate_job_definition(definition: Mapping[str, Any], *, source: str = "<dict>") -> None:
    """Raise ConfigError naming every problem and its path (one line when there is one) if the definition is invalid."""
    problems = job_definition_problems(definition)
    if len(problems) == 1:
        raise ConfigError(f"invalid job definition in {source}: {problems[0]}")
    if problems:
        shown = problems[:_MAX_LISTED]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise ConfigError(f"invalid job definition in {source}:\n  " + "\n  ".join(shown) + more)


def _cross_reference_problems(definition: Mapping[str, Any]) -> list[str]:
    """Checks the types cannot express: at least one task, unique task keys, known cluster keys."""
    tasks = definition.get("tasks")
    if not isinstance(tasks, list):
        return [] if "tasks" in definition else ["tasks: missing required field (a job needs at least one task)"]
    if not tasks:
        return ["tasks: empty list (a job needs at least one task)"]
    clusters = definition.get("job_clusters") or []
    cluster_keys = {c.get("job_cluster_key") for c in clusters if isinstance(c, Mapping)}
    problems, seen = [], set()
    for i, task in enumerate(tasks):
        if not isinstance(task, Mapping):
            continue
        key = task.get("task_key")
        if key in seen:
            problems.append(f"tasks[{i}].task_key: duplicate task key {key!r}")
        seen.add(key)
        ref = task.get("job_cluster_key")
        if ref is not None and ref not in cluster_keys:
            known = ", ".join(sorted(str(k) for k in cluster_keys)) or "none defined"
            problems.append(f"tasks[{i}].job_cluster_key: {ref!r} is not in job_clusters ({known})")
    return problems


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _where(path: str) -> str:
    return path or "<root>"


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _strip(tpe: Any) -> tuple[Any, bool]:
    """Drop ``Variable[...]`` and ``None`` from a union; return the one remaining type and whether None is allowed."""
    origin = typing.get_origin(tpe)
    if origin not in (typing.Union, UnionType):
        return tpe, False
    from databricks.bundles.core import Variable

    args = [a for a in typing.get_args(tpe) if typing.get_origin(a) is not Variable and a is not Variable]
    nullable = NoneType in args
    rest = [a for a in args if a is not NoneType]
    if len(rest) != 1:
        return Any, nullable  # not generated by databricks-bundles today; accept rather than guess
    inner, inner_nullable = _strip(rest[0])
    return inner, nullable or inner_nullable


def _check(tpe: Any, value: Any, path: str, out: list[str]) -> None:
    tpe, nullable = _strip(tpe)
    if value is None:
        if not nullable and tpe is not Any:
            out.append(f"{_where(path)}: null is not allowed here")
        return
    if isinstance(value, str) and _BUNDLE_REFERENCE.search(value):
        out.append(f"{_where(path)}: unresolved bundle variable in {value[:80]!r} (the Jobs API has no variables)")
        return
    origin = typing.get_origin(tpe)
    if tpe is Any:
        return
    if dataclasses.is_dataclass(tpe):
        _check_object(tpe, value, path, out)
    elif origin is list:
        if not isinstance(value, list | tuple):
            out.append(f"{_where(path)}: expected a list, got {type(value).__name__}")
            return
        (item,) = typing.get_args(tpe)
        for i, element in enumerate(value):
            _check(item, element, f"{path}[{i}]", out)
    elif origin is dict:
        if not isinstance(value, Mapping):
            out.append(f"{_where(path)}: expected a mapping, got {type(value).__name__}")
            return
        _, item = typing.get_args(tpe)
        for key, element in value.items():
            _check(item, element, _join(path, str(key)), out)
    elif isinstance(tpe, type) and issubclass(tpe, enum.Enum):
        allowed = [m.value for m in tpe]
        if (value.value if isinstance(value, enum.Enum) else value) not in allowed:
            out.append(f"{_where(path)}: bad value {value!r} (allowed: {', '.join(map(str, allowed))})")
    else:
        _check_scalar(tpe, value, path, out)


def _check_object(cls: type, value: Any, path: str, out: list[str]) -> None:
    if not isinstance(value, Mapping):
        out.append(f"{_where(path)}: expected a mapping ({cls.__name__}), got {type(value).__name__}")
        return
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in value:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f"{_join(path, str(key))}: unknown key{hint}")
    for name, field in fields.items():
        required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        if name not in value:
            if required:
                out.append(f"{_join(path, name)}: missing required field")
            continue
        _check(_hints(cls)[name], value[name], _join(path, name), out)


_SCALARS: dict[Any, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float), bool: (bool,)}


def _check_scalar(tpe: Any, value: Any, path: str, out: list[str]) -> None:
    allowed = _SCALARS.get(tpe)
    if allowed is None:
        return
    wrong_bool = isinstance(value, bool) and tpe is not bool
    if wrong_bool or not isinstance(value, allowed):
        hint = " (quote it in YAML)" if tpe is str else ""
        out.append(f"{_where(path)}: expected {tpe.__name__}, got {type(value).__name__} {str(value)[:40]!r}{hint}")
