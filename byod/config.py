"""Job configuration: a dataclass schema, a YAML file and ``key=value`` overrides, validated up front.

Every mistake is one line that names the key and where it came from, raised before Spark starts.
YAML is read by OmegaConf, whose loader derives from ``yaml.SafeLoader`` (no arbitrary objects).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import fsspec
import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException, ValidationError

from byod.errors import ConfigError

T = TypeVar("T")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _explain(error: OmegaConfBaseException, where: str) -> ConfigError:
    key = getattr(error, "full_key", None) or getattr(error, "key", None) or "?"
    if isinstance(error, (ConfigKeyError, ConfigAttributeError)):
        return ConfigError(f"{where}: unknown key '{key}'")
    if isinstance(error, ValidationError):
        return ConfigError(f"{where}: key '{key}': {_first_line(error)}")
    return ConfigError(f"{where}: key '{key}': {_first_line(error)}")


def parse_overrides(overrides: Sequence[str] | Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """``["a.b=1", "sources[0].paths=[x]"]`` (or ``{"a.b": 1}``) as (key, value) pairs; values are YAML."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        pairs = list(overrides.items())
    else:
        pairs = []
        for item in overrides:
            if not isinstance(item, str) or "=" not in item:
                raise ConfigError(f"override '{item}': expected key=value (for example output=/tmp/out)")
            key, raw = item.split("=", 1)
            try:
                value = yaml.safe_load(raw) if raw.strip() else ""
            except yaml.YAMLError as error:
                raise ConfigError(f"override '{item}': value is not valid YAML: {_first_line(error)}") from None
            pairs.append((key.strip(), value))
    for key, _ in pairs:
        if not isinstance(key, str) or not _KEY.match(key):
            raise ConfigError(f"override: '{key}' is not a valid key (expected name, dotted.name or name[0].x)")
    return pairs


def load_config(schema: type[T], path: str | Path | None = None,
                overrides: Sequence[str] | Mapping[str, Any] | None = None) -> T:
    """Merge schema defaults, the YAML file and the overrides; return a typed, read-only config."""
    if not is_dataclass(schema):
        raise TypeError(f"schema must be a dataclass type, got {schema!r}")
    merged = OmegaConf.structured(schema)
    if path is not None:
        file = str(path)
        fs, local = fsspec.core.url_to_fs(file)
        if not fs.isfile(local):
            raise ConfigError(f"config file {file} does not exist")
        try:
            with fs.open(local, "r") as handle:  # a local path, a volume, or any fsspec URL
                loaded = OmegaConf.load(handle)
        except Exception as error:  # yaml.YAMLError and OmegaConf grammar errors alike
            raise ConfigError(f"{file}: not valid YAML: {_first_line(error)}") from None
        if not isinstance(loaded, DictConfig):
            raise ConfigError(f"{file}: expected a mapping at the top level")
        try:
            merged = OmegaConf.merge(merged, loaded)
        except OmegaConfBaseException as error:
            raise _explain(error, str(file)) from None
    for key, value in parse_overrides(overrides):
        try:
            OmegaConf.update(merged, key, value, merge=True)
        except OmegaConfBaseException as error:
            raise _explain(error, "command-line override") from None
    try:
        missing = sorted(OmegaConf.missing_keys(merged))
    except OmegaConfBaseException as error:
        raise _explain(error, str(path or "config")) from None
    if missing:
        raise ConfigError(f"{path or 'config'}: missing value for key '{missing[0]}'")
    OmegaConf.set_readonly(merged, True)
    return merged  # type: ignore[return-value]


def to_plain(config: Any) -> Any:
    """The config as plain dicts and lists, for the report and for stage constructors."""
    if isinstance(config, DictConfig) or OmegaConf.is_config(config):
        return OmegaConf.to_container(config, resolve=True)
    return config


def construct(factory: Any, kwargs: Mapping[str, Any], *, key: str, origin: str) -> Any:
    """Build a stage from the config section ``key``; a bad name or value is a ConfigError naming it."""
    try:
        return factory(**dict(kwargs))
    except TypeError as error:
        message = _first_line(error)
        match = re.search(r"unexpected keyword argument '(\w+)'", message)
        if match:
            raise ConfigError(f"{origin}: unknown key '{key}.{match.group(1)}'") from None
        raise ConfigError(f"{origin}: key '{key}': {message}") from None
    except ValueError as error:
        raise ConfigError(f"{origin}: key '{key}': {_first_line(error)}") from None
