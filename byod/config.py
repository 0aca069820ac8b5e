"""Job configuration: a dataclass schema, a YAML file and ``key=value`` overrides, validated up front.

Every mistake is one line that names the key and where it came from, raised before Spark starts.
YAML files are read by OmegaConf, whose loader derives from ``yaml.SafeLoader`` (no arbitrary objects);
``${oc.env:NAME}`` and other interpolations are resolved while loading, so an unset variable is a
one-line error too, and error messages never show the value of a variable the config reads.

Override values (``key=value``) are typed by the schema, not guessed (see :func:`parse_value`).
"""

from __future__ import annotations

import difflib
import inspect
import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

import fsspec
import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from byod.errors import ConfigError
from byod.secrets import env_values, mask_text

T = TypeVar("T")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$")
_KEY_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_SCALARS = (str, int, float, bool, Path, bytes)
_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_NULLS = ("null", "Null", "NULL", "~")
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?=[eE]))([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_UNSET_ENV = re.compile(r"Environment variable '([^']+)' not found")


class _Flow(yaml.SafeLoader):
    """Composes a YAML flow value into nodes without guessing scalar types (the schema decides)."""


_Flow.yaml_implicit_resolvers = {}
_PLAIN_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """``" (did you mean 'output'?)"`` for the known name closest to the last part of ``key``, else ``""``."""
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], sorted(set(known)), n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _node_keys(error: OmegaConfBaseException) -> list[str]:
    """The keys the section holding the unknown key has (none when OmegaConf does not say)."""
    parent = getattr(error, "parent_node", None)
    try:
        return [str(k) for k in parent.keys()] if isinstance(parent, DictConfig) else []
    except OmegaConfBaseException:
        return []


def _explain(error: OmegaConfBaseException, where: str) -> ConfigError:
    key = getattr(error, "full_key", None) or getattr(error, "key", None) or "?"
    if isinstance(error, (ConfigKeyError, ConfigAttributeError)):
        return ConfigError(f"{where}: unknown key '{key}'{did_you_mean(str(key), _node_keys(error))}")
    match = _UNSET_ENV.search(str(error))
    if match:
        name = match.group(1)
        return ConfigError(f"{where}: key '{key}': environment variable {name} is not set "
                           f"(set it, or give a default: ${{oc.env:{name},default}})")
    return ConfigError(f"{where}: key '{key}': {_first_line(error)}")


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """``X | None`` -> ``(X, True)``; a union of several types is ``Any`` (OmegaConf checks it)."""
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        return (args[0] if len(args) == 1 else Any), len(args) < len(get_args(hint))
    return hint, hint is Any


def _child_type(hint: Any, part: str | int) -> Any:
    """The declared type of ``hint[part]`` (a field, a list item or a dict value); Any when undeclared."""
    base, _ = _unwrap(hint)
    origin, args = get_origin(base) or base, get_args(base)
    if isinstance(part, int):
        return args[0] if origin in (list, tuple, Sequence) and args else Any
    if isinstance(base, type) and is_dataclass(base):
        try:
            return get_type_hints(base).get(part, Any)
        except Exception:  # an annotation that cannot be evaluated: OmegaConf will judge the value
            return Any
    return args[1] if origin in (dict, Mapping) and len(args) == 2 else Any


def schema_type(schema: Any, key: str) -> Any:
    """The type a dotted key (``sources[0].paths``) has in a dataclass schema; Any for free-form sections."""
    hint = schema
    for name, index in _KEY_PART.findall(key):
        hint = _child_type(hint, int(index) if index else name)
    return hint


def _is_scalar(base: Any) -> bool:
    return isinstance(base, type) and (base in _SCALARS or issubclass(base, Enum))


def _plain(text: str) -> Any:
    """A plain (unquoted) scalar where the schema gives no type: YAML 1.2 core types, strings otherwise.

    Only ``null``/``~``, ``true``/``false`` (any case), decimal integers without leading zeros and
    decimal/exponent floats change type; ``yes``, ``on``, ``0777``, ``0x1f``, ``12:30``, dates and
    text after `` #`` stay exactly as written (YAML 1.1 would make them booleans, numbers, dates or a comment).
    """
    stripped = text.strip()
    if stripped in _NULLS:
        return None
    if stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    if _INT.fullmatch(stripped):
        return int(stripped)
    if _FLOAT.fullmatch(stripped):
        return float(stripped)
    if _SPECIAL_FLOAT.fullmatch(stripped):
        return float(stripped.replace(".", "").lower())
    return text


def _build(node: yaml.Node, hint: Any, seen: set[int]) -> Any:
    if id(node) in seen:
        raise ValueError("YAML anchors and aliases are not allowed in overrides")
    seen.add(id(node))
    if node.tag not in _PLAIN_TAGS:
        raise ValueError(f"YAML tag {node.tag!r} is not allowed in overrides")
    base, optional = _unwrap(hint)
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, _child_type(hint, 0), seen) for child in node.value]
    if isinstance(node, yaml.MappingNode):
        built = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ValueError("mapping keys must be plain names")
            built[key_node.value] = _build(value_node, _child_type(hint, key_node.value), seen)
        return built
    if node.style is not None:  # quoted: always the string as written
        return node.value
    if _is_scalar(base):
        return _typed_scalar(node.value, base, optional)
    return _plain(node.value)


def _typed_scalar(text: str, base: type, optional: bool) -> Any:
    """A value for a str/int/float/bool/enum field: the literal text, converted by the schema's type."""
    if text.strip() in _NULLS and (optional or base is not str):
        return None  # OmegaConf refuses None for a field that is not Optional
    if base is str:
        return text
    if base is bool:
        flag = _BOOLS.get(text.strip().lower())
        if flag is None:
            raise ValueError(f"'{text}' is not a boolean (use true or false)")
        return flag
    return text.strip()  # OmegaConf converts int, float, enum and path fields and names the key on failure


def parse_value(raw: str, hint: Any = Any) -> Any:
    """Turn an override's text into the value for a field of type ``hint``. The one override-value parser.

    - str fields take the text exactly as written (``/data/run #2``, ``0777``, ``yes``); ``null`` is None
      only when the field is Optional.
    - int/float/enum fields are converted by OmegaConf from the text (``0777`` -> 777, decimal).
    - bool fields take true/false, yes/no or 1/0, in any case; anything else is an error.
    - list, dict and dataclass fields take a YAML flow value (``[a, b]``, ``{k: v}``) whose items are
      typed the same way by the declared item type; quote items that contain `` #``, ``,`` or ``:``.
      Anchors, aliases and tags (``!!python/...``) are refused.
    - Free-form values (``dict[str, Any]`` sections such as ``tokenize`` or ``stages[0]``) use
      :func:`_plain`: YAML 1.2 core types (null, true/false, decimal numbers), every other text stays a
      string; a value starting with ``[``, ``{`` or a quote is read as YAML flow. An empty value is "".
    - ``${...}`` is an OmegaConf interpolation, as in files (``'key=${oc.env:TOKEN}'`` keeps a secret out
      of the command line); ``\\${`` gives a literal ``${``. An unresolvable one is a one-line error.
    """
    base, optional = _unwrap(hint)
    text = raw.strip()
    if text.startswith("${") and text.endswith("}") and base is not str:
        return text  # one interpolation: OmegaConf resolves it and checks the result against the field's type
    if _is_scalar(base):
        return _typed_scalar(raw, base, optional)
    if not text:
        return ""
    if base is Any and text[0] not in "[{\"'":
        return _plain(raw)
    try:
        return _build(yaml.compose(text, Loader=_Flow), hint, set())
    except (yaml.YAMLError, RecursionError) as error:
        problem = getattr(error, "problem", None) or _first_line(error)
        raise ValueError(f"value is not valid YAML: {problem} (quote items that contain ' #', ',' or ':')") from None


def parse_overrides(overrides: Sequence[str] | Mapping[str, Any] | None,
                    schema: Any = None) -> list[tuple[str, Any]]:
    """``["a.b=1", "sources[0].paths=[x]"]`` (or ``{"a.b": 1}``) as (key, value) pairs.

    String values are typed by the key's type in ``schema`` (a dataclass; None: every key free-form),
    see :func:`parse_value`; a mapping's values are used as they are.
    """
    if overrides is None:
        return []
    items = list(overrides.items()) if isinstance(overrides, Mapping) else list(overrides)
    pairs: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(overrides, Mapping):
            key, value, raw = item[0], item[1], None
        elif isinstance(item, str) and "=" in item:
            key, raw = item.split("=", 1)
            key = key.strip()
        else:
            raise ConfigError(f"override '{item}': expected key=value (for example output=/tmp/out)")
        if not isinstance(key, str) or not _KEY.match(key):
            raise ConfigError(f"override: '{key}' is not a valid key (expected name, dotted.name or name[0].x)")
        if raw is not None:
            try:
                value = parse_value(raw, Any if schema is None else schema_type(schema, key))
            except ValueError as error:
                raise ConfigError(f"command-line override: key '{key}': {error}") from None
        pairs.append((key, value))
    return pairs


def _merge_file(merged: DictConfig, file: str) -> DictConfig:
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
        return OmegaConf.merge(merged, loaded)
    except OmegaConfBaseException as error:
        raise _explain(error, file) from None


def _check_complete(merged: DictConfig, where: str, overridden: list[str]) -> None:
    """Every mandatory value set and every interpolation resolvable, checked once here, before Spark."""
    try:
        missing = sorted(OmegaConf.missing_keys(merged))
    except OmegaConfBaseException as error:
        raise _explain(error, where) from None
    if missing:
        raise ConfigError(f"{where}: missing value for key '{missing[0]}'")
    try:
        OmegaConf.to_container(merged, resolve=True)
    except OmegaConfBaseException as error:
        key = str(getattr(error, "full_key", "") or "")
        from_override = any(key == k or key.startswith((f"{k}.", f"{k}[")) for k in overridden)
        raise _explain(error, "command-line override" if from_override else where) from None


def load_config(schema: type[T], path: str | Path | None = None,
                overrides: Sequence[str] | Mapping[str, Any] | None = None) -> T:
    """Merge schema defaults, the YAML file and the overrides; return a typed, read-only config.

    Interpolations are resolved once here (an unset ``${oc.env:NAME}`` is a ConfigError naming the key
    and the variable) but kept in the returned config, so :mod:`byod.secrets` can tell which values came
    from the environment. Error messages mask the values of the variables the config reads.
    """
    if not is_dataclass(schema):
        raise TypeError(f"schema must be a dataclass type, got {schema!r}")
    merged = OmegaConf.structured(schema)
    try:
        if path is not None:
            merged = _merge_file(merged, str(path))
        overridden = []
        for key, value in parse_overrides(overrides, schema):
            try:
                OmegaConf.update(merged, key, value, merge=True)
            except OmegaConfBaseException as error:
                raise _explain(error, "command-line override") from None
            overridden.append(key)
        _check_complete(merged, str(path or "config"), overridden)
    except ConfigError as error:
        raise ConfigError(mask_text(str(error), env_values(merged))) from None
    OmegaConf.set_readonly(merged, True)
    return merged  # type: ignore[return-value]


def to_plain(config: Any) -> Any:
    """The config as plain dicts and lists, for stage constructors (the report uses byod.secrets.mask_config)."""
    if isinstance(config, DictConfig) or OmegaConf.is_config(config):
        return OmegaConf.to_container(config, resolve=True)
    return config


def _parameters(factory: Any) -> list[str]:
    try:
        return list(inspect.signature(factory).parameters)
    except (TypeError, ValueError):
        return []


def construct(factory: Any, kwargs: Mapping[str, Any], *, key: str, origin: str) -> Any:
    """Build a stage from the config section ``key``; a bad name or value is a ConfigError naming it."""
    try:
        return factory(**dict(kwargs))
    except TypeError as error:
        message = _first_line(error)
        match = re.search(r"unexpected keyword argument '(\w+)'", message)
        if match:
            hint = did_you_mean(match.group(1), _parameters(factory))
            raise ConfigError(f"{origin}: unknown key '{key}.{match.group(1)}'{hint}") from None
        raise ConfigError(f"{origin}: key '{key}': {message}") from None
    except ValueError as error:
        raise ConfigError(f"{origin}: key '{key}': {_first_line(error)}") from None
