"""Stage lookup by name, so job configs can list stages: ``{stage: GopherQualityFilter, ...}``.

A stage may also be named ``package.module:Class``. Importing a module runs its code, so byod imports
one only when its package is allowed: ``byod`` always, plus the packages the job passes (its own module
and, for instance, what its config lists under ``allow_stage_modules``). Anything else is a ConfigError
raised before the import, and the class must be a byod Stage before it is constructed.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from byod.config import construct
from byod.errors import ConfigError
from byod.stages.base import Stage

ALWAYS_ALLOWED = ("byod",)
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _allowed(module: str, packages: Sequence[str]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def _import_class(name: str, allowed_packages: Sequence[str]) -> Any:
    """``pkg.module:Class``: the attribute, imported only when ``pkg.module`` is under an allowed package."""
    module_name, _, attr = name.partition(":")
    if not _MODULE.match(module_name) or not attr.isidentifier():
        raise ConfigError(f"stage '{name}': expected a byod stage name or package.module:Class")
    allowed = list(dict.fromkeys([*ALWAYS_ALLOWED, *allowed_packages]))
    if not _allowed(module_name, allowed):
        raise ConfigError(f"stage module '{module_name}' is not in allowed packages {allowed}; add "
                          f"'{module_name.split('.')[0]}' to allow_stage_modules in the job config "
                          "(importing a module runs its code)")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the module's own code failed: say which and why, in one line
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ConfigError(f"stage '{name}' cannot be imported: {type(error).__name__}: {first}") from None
    if not hasattr(module, attr):
        raise ConfigError(f"stage '{name}' cannot be imported: module '{module_name}' has no '{attr}'")
    return getattr(module, attr)


def stage_class(name: str, allowed_packages: Sequence[str] = ()) -> type[Stage]:
    """A stage class by its name in ``byod.stages`` or by ``package.module:Class`` for user stages.

    Naming a module executes its code: only modules under ``byod`` or ``allowed_packages`` (top-level
    package names such as ``mypkg``, or a module prefix such as ``mypkg.stages``) are imported.
    """
    for package in allowed_packages:
        if not isinstance(package, str) or not _MODULE.match(package):
            raise ConfigError(f"allowed stage package {package!r} is not a package name such as 'mypkg'")
    if ":" in name:
        found = _import_class(name, allowed_packages)
    else:
        import byod.stages as stages

        found = getattr(stages, name, None)
        if found is None:
            by_lower = {known.lower(): known for known in stages.__all__}
            close = [by_lower[m] for m in difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.75)]
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ConfigError(f"unknown stage '{name}'; {hint}byod has {list(stages.__all__)} "
                              "(or give package.module:Class)")
    if not (isinstance(found, type) and issubclass(found, Stage)) or found is Stage:
        raise ConfigError(f"'{name}' is not a byod Stage")
    return found


def build_stages(specs: list[Mapping[str, Any]], *, key: str, origin: str,
                 allowed_packages: Sequence[str] = ()) -> list[Stage]:
    """Construct each ``{stage: Name, enabled: bool, ...params}`` entry; disabled entries are skipped.

    ``allowed_packages``: packages whose modules a ``package.module:Class`` entry may import, besides
    byod (importing runs the module's code; see :func:`stage_class`).
    """
    stages: list[Stage] = []
    for index, spec in enumerate(specs):
        where = f"{key}[{index}]"
        params = dict(spec)
        name = params.pop("stage", None)
        if not isinstance(name, str):
            raise ConfigError(f"{origin}: key '{where}.stage' must name a stage class")
        if not params.pop("enabled", True):
            continue
        try:
            cls = stage_class(name, allowed_packages)
        except ConfigError as error:
            raise ConfigError(f"{origin}: key '{where}.stage': {error}") from None
        for list_key, value in list(params.items()):
            if isinstance(value, list):
                params[list_key] = tuple(value)
        stages.append(construct(cls, params, key=where, origin=origin))
    return stages
