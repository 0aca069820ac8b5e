"""Keeps Databricks credentials out of messages, results and logs: whatever prints, prints ``***``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

# Environment variables the Databricks CLI and SDK read credentials from (see databricks.sdk.config).
SECRET_ENV_VARS = (
    "DATABRICKS_TOKEN",
    "DATABRICKS_PASSWORD",
    "DATABRICKS_CLIENT_SECRET",
    "ARM_CLIENT_SECRET",
    "GOOGLE_CREDENTIALS",
)
MASK = "***"
# Shorter values are not masked: replacing "1" everywhere would garble text and protect nothing.
_MIN_SECRET_CHARS = 6


def secrets_from_env(env: Mapping[str, str] | None = None) -> list[str]:
    """The credential values set in ``env`` (default: the process environment)."""
    source = os.environ if env is None else env
    return [source[name] for name in SECRET_ENV_VARS if source.get(name)]


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Return ``text`` with every secret value replaced by ``***`` (longest first, so none leaks in part)."""
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_CHARS}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
