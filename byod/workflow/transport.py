"""Keeps a Databricks token on the wire only over TLS, and out of every log record and message.

Why here and not in the SDK: databricks-sdk happily sends ``Authorization: Bearer`` to an ``http://`` host,
and its DEBUG round-trip log prints response bodies, so a host that echoes the token (in ``run_page_url``,
a state message or an error) would get it into logs. byod refuses plain http unless the host is loopback
and the caller opted in (the local test servers), and masks every known credential in what it emits.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from byod.errors import ConfigError
from byod.workflow.secrets import redact

# Credential attributes of databricks.sdk.config.Config (PAT, basic auth, OAuth M2M, Azure SP).
_CLIENT_SECRET_ATTRS = ("token", "password", "client_secret", "azure_client_secret")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(hostname: str | None) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``: addresses that never leave this machine."""
    if not hostname:
        return False
    if hostname.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def check_host(host: str | None, *, allow_insecure_loopback: bool = False) -> None:
    """Refuse a host a token must not be sent to: plain ``http://`` unless loopback and explicitly allowed.

    A host without a scheme is left to the SDK, which makes it ``https://``.
    """
    if not host or "://" not in host:
        return
    parts = urlsplit(host)
    scheme = parts.scheme.lower()
    if scheme == "https":
        return
    if scheme == "http" and is_loopback(parts.hostname):
        if allow_insecure_loopback:
            return
        raise ConfigError(
            f"Databricks host {host!r} uses plain http; pass allow_insecure_loopback=True to use a local test "
            "server, or use https://"
        )
    raise ConfigError(
        f"Databricks host {host!r} uses {scheme or 'no'}:// instead of https://: the token would travel "
        "unencrypted; use https://<workspace> (plain http is allowed only for a loopback test server)"
    )


def client_secrets(client: object) -> list[str]:
    """The credential values a ``WorkspaceClient`` holds (its ``config``), for masking."""
    config = getattr(client, "config", None)
    found = []
    for attr in _CLIENT_SECRET_ATTRS:
        try:
            value = getattr(config, attr, None)
        except Exception:  # noqa: BLE001 - a config attribute that cannot be read holds nothing to mask
            value = None
        if isinstance(value, str) and value:
            found.append(value)
    return found


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with every secret replaced by ``***`` (the record is kept)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets  # shared list: secrets found later (the client's token) are masked too

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not a leak
            return True
        masked = redact(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def _sdk_loggers(extra: Iterable[str]) -> list[logging.Logger]:
    names = {"databricks", "databricks.sdk", *extra}
    names.update(n for n in logging.Logger.manager.loggerDict if n.startswith("databricks.sdk."))
    return [logging.getLogger(n) for n in sorted(names)]


@contextlib.contextmanager
def masked_logs(secrets: list[str], *, loggers: Iterable[str] = ("byod.workflow",)) -> Iterator[None]:
    """While active, records of databricks-sdk's loggers and ``loggers`` have every secret masked.

    A logger's filters only see records created on that logger, so each SDK logger gets the filter.
    """
    filt = RedactingFilter(secrets)
    targets = _sdk_loggers(loggers)
    for target in targets:
        target.addFilter(filt)
    try:
        yield
    finally:
        for target in targets:
            target.removeFilter(filt)
