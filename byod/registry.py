"""Stage lookup by name, so job configs can list stages: ``{stage: GopherQualityFilter, ...}``."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from byod.config import construct
from byod.errors import ConfigError
from byod.stages.base import Stage


def stage_class(name: str) -> type[Stage]:
    """A stage class by its name in ``byod.stages`` or by ``package.module:Class`` for user stages."""
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            found = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as error:
            raise ConfigError(f"stage '{name}' cannot be imported: {error}") from None
    else:
        import byod.stages as stages

        found = getattr(stages, name, None)
        if found is None:
            known = sorted(n for n in stages.__all__ if n not in ("Stage", "Filter"))
            raise ConfigError(f"unknown stage '{name}'; byod has {known} (or give package.module:Class)")
    if not (isinstance(found, type) and issubclass(found, Stage)):
        raise ConfigError(f"'{name}' is not a byod Stage")
    return found


def build_stages(specs: list[Mapping[str, Any]], *, key: str, origin: str) -> list[Stage]:
    """Construct each ``{stage: Name, enabled: bool, ...params}`` entry; disabled entries are skipped."""
    stages: list[Stage] = []
    for index, spec in enumerate(specs):
        where = f"{key}[{index}]"
        params = dict(spec)
        name = params.pop("stage", None)
        if not isinstance(name, str):
            raise ConfigError(f"{origin}: key '{where}.stage' must name a stage class")
        if not params.pop("enabled", True):
            continue
        cls = stage_class(name)
        for list_key, value in list(params.items()):
            if isinstance(value, list):
                params[list_key] = tuple(value)
        stages.append(construct(cls, params, key=where, origin=origin))
    return stages
