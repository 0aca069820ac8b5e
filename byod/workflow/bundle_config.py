"""Reads a bundle the way the Databricks CLI does, far enough to check it offline and to run one of its jobs:
databricks.yml plus its ``include`` files, one target's overrides merged in, ``${var...}`` substituted.

Not a reimplementation of the CLI: only what byod needs (variables with defaults and per-target values,
target overrides of resources merged by key, the substitutions byod's files use). References it cannot
resolve (``${workspace.host}``, ``${resources...}``) are left as written, so validation names them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from byod.errors import ConfigError

ROOT_FILE = "databricks.yml"
# ${a.b.c} with the CLI's name rules (letters/digits/_/-, optional [n] indexes).
_REFERENCE = re.compile(r"\$\{([A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*(?:\[\d+\])*)*)\}")
# How the CLI merges target overrides into sequences of job settings: by these keys (docs: "overrides").
_MERGE_KEYS = {"tasks": "task_key", "job_clusters": "job_cluster_key", "environments": "environment_key"}
_PLACEHOLDER_USER = "someone@example.com"


@dataclass
class BundleFiles:
    """databricks.yml and the files it includes, each parsed with ``yaml.safe_load``."""

    root: Path
    config: dict[str, Any]
    includes: dict[Path, dict[str, Any]] = field(default_factory=dict)

    @property
    def root_file(self) -> Path:
        return self.root / ROOT_FILE

    def job_files(self) -> dict[str, Path]:
        """Resource key of every job -> the file that defines it."""
        found = {}
        for path, data in [(self.root_file, self.config), *self.includes.items()]:
            for name in (data.get("resources") or {}).get("jobs") or {}:
                found[name] = path
        return found


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path}: not valid YAML: {first}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of bundle settings, got {type(data).__name__}")
    return data


def find_bundle_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding databricks.yml, or None."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / ROOT_FILE).is_file():
            return folder
    return None


def load_bundle(root: str | Path) -> BundleFiles:
    """Read ``root/databricks.yml`` and every file its ``include`` globs match."""
    root = Path(root)
    config = _read_yaml(root / ROOT_FILE)
    bundle = BundleFiles(root=root, config=config)
    for pattern in config.get("include") or []:
        for path in sorted(root.glob(str(pattern))):
            bundle.includes[path] = _read_yaml(path)
    return bundle


def target_name(bundle: BundleFiles, target: str | None) -> str:
    """``target`` if defined, else the target marked ``default: true``; a one-line ConfigError otherwise."""
    targets = bundle.config.get("targets") or {}
    if target is None:
        defaults = [name for name, spec in targets.items() if (spec or {}).get("default")]
        if len(defaults) == 1:
            return defaults[0]
        raise ConfigError(
            f"{bundle.root_file}: targets: no single default target; pass target= one of {sorted(targets)}"
        )
    if target not in targets:
        raise ConfigError(
            f"{bundle.root_file}: targets.{target}: no such target (defined: {', '.join(sorted(targets)) or 'none'})"
        )
    return target


def variable_values(bundle: BundleFiles, target: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values of the bundle variables for ``target``: default < target value < ``overrides``."""
    declared = bundle.config.get("variables") or {}
    values = {name: (spec or {}).get("default") for name, spec in declared.items() if isinstance(spec, Mapping)}
    target_vars = ((bundle.config.get("targets") or {}).get(target) or {}).get("variables") or {}
    for name, value in target_vars.items():
        values[name] = value.get("default") if isinstance(value, Mapping) else value
    for name, value in (overrides or {}).items():
        if name not in declared:
            raise ConfigError(
                f"{bundle.root_file}: variables.{name}: not declared (declared: {', '.join(sorted(declared))})"
            )
        values[name] = value
    return values


def merge(base: Any, override: Any, key: str = "") -> Any:
    """Target override merge: mappings recursively, job sequences by their key, other values replaced."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(copy.deepcopy(base))
        for name, value in override.items():
            merged[name] = merge(base[name], value, name) if name in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(override, list) and key in _MERGE_KEYS:
        by = _MERGE_KEYS[key]
        merged_list = [copy.deepcopy(item) for item in base]
        index = {item.get(by): i for i, item in enumerate(merged_list) if isinstance(item, Mapping)}
        for item in override:
            if isinstance(item, Mapping) and item.get(by) in index:
                merged_list[index[item[by]]] = merge(merged_list[index[item[by]]], item)
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(override)


def substitute(value: Any, context: Mapping[str, Any]) -> Any:
    """Replace ``${name}`` references found in ``context``; a string that is one reference takes its type."""
    if isinstance(value, Mapping):
        return {k: substitute(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, context) for v in value]
    if not isinstance(value, str):
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole and whole.group(1) in context:
        return copy.deepcopy(context[whole.group(1)])

    def one(match: re.Match[str]) -> str:
        return str(context[match.group(1)]) if match.group(1) in context else match.group(0)

    return _REFERENCE.sub(one, value)


def substitution_context(
    bundle: BundleFiles, target: str, values: Mapping[str, Any], *, user: str | None = None
) -> dict[str, Any]:
    """The references byod's bundle uses: ``var.*``, ``bundle.*`` and (given a user) ``workspace.*``."""
    context: dict[str, Any] = {f"var.{name}": value for name, value in values.items()}
    name = (bundle.config.get("bundle") or {}).get("name", "")
    context.update({"bundle.name": name, "bundle.target": target})
    if user is not None:
        context.update(
            {
                "workspace.current_user.userName": user,
                "workspace.current_user.short_name": user.split("@")[0],
            }
        )
    # Variables may refer to each other and to bundle.*: resolve a few rounds, as the CLI does.
    for _ in range(3):
        context = {key: substitute(value, context) for key, value in context.items()}
    return context


def target_mode(bundle: BundleFiles, target: str) -> str | None:
    """``development``, ``production`` or None: the target's ``mode``."""
    return ((bundle.config.get("targets") or {}).get(target) or {}).get("mode")


def resolved_config(
    bundle: BundleFiles, target: str | None, overrides: Mapping[str, Any] | None = None, *, user: str | None = None
) -> dict[str, Any]:
    """The whole bundle as deployed to ``target``: includes merged, target settings applied, references
    substituted (``user`` stands in for ``workspace.current_user``; default: a placeholder address)."""
    target = target_name(bundle, target)
    values = variable_values(bundle, target, overrides)
    config = {k: copy.deepcopy(v) for k, v in bundle.config.items() if k != "targets"}
    for data in bundle.includes.values():
        config = merge(config, {k: v for k, v in data.items() if k != "targets"})
    spec = copy.deepcopy((bundle.config.get("targets") or {}).get(target) or {})
    for key in ("default", "variables", "mode"):  # target-only settings (see target_mode)
        spec.pop(key, None)
    config = merge(config, spec)
    user = user or _PLACEHOLDER_USER
    context = substitution_context(bundle, target, values, user=user)
    workspace = config.setdefault("workspace", {})
    root_path = substitute(workspace.get("root_path"), context) or (
        f"/Workspace/Users/{user}/.bundle/{context['bundle.name']}/{target}"
    )
    context.update({"workspace.root_path": root_path, "workspace.file_path": f"{root_path}/files"})
    config["variables"] = {name: {"default": value} for name, value in values.items()}
    return substitute(config, context)
