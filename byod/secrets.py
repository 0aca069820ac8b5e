"""Keeps secrets out of reports, logs and error messages: what a config read from the environment, or
holds under a credential-like key, is shown as ``***``.

Two rules decide what is secret in a job config:

1. **Environment values.** Any value whose text in the config (file or override) contains
   ``${oc.env:...}`` is masked whole, wherever it is: the config is read unresolved to see it.
2. **Credential-like keys.** A value's key path (``spark_conf.fs.azure.account.key.acct``,
   ``sources.options.text_key``: nested and dotted keys read alike) is split into lowercase words at
   ``.``, ``_``, ``-``, spaces and camelCase humps (``hf_token``, ``keyPassword``). It is secret when a
   word is ``secret(s)``, ``password(s)``, ``passwd``, ``passphrase``, ``credential(s)``, ``apikey``, or
   ``token`` not right after a tokenizer word (``bos``/``eos``/``pad``/...: ``add_bos_token`` is a
   setting) nor right before ``id``/``ids``; or when a word is ``key`` right after a credential word
   (``account``, ``access``, ``api``, ``client``, ``private``, ``secret``, ``storage``, ``sas``,
   ``shared``, ``signing``, ``encryption``, ``master``, ``auth``). So ``storage_account_key``,
   ``fs.azure.account.key.X``, ``fs.s3a.access.key`` and ``api_key`` are masked, while byod's reader
   options that name a column (``text_key``, ``key_field``, ``id_key``, ``prompt_key``) and Databricks'
   ``task_key`` are not. Booleans and nulls are never masked (they reveal nothing).

Values found by either rule (and the environment variables named) become the *secrets* that
:func:`mask_text` replaces in free text: argv, stage parameters, log records, error messages.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import is_dataclass
from typing import Any

from omegaconf import OmegaConf

MASK = "***"
# Free text is masked only for secrets at least this long: replacing "1" everywhere would garble logs
# and protect nothing. Whole config values under rule 1 or 2 are masked whatever their length.
MIN_TEXT_SECRET_CHARS = 6
_ENV_REF = re.compile(r"\$\{\s*oc\.env\s*:\s*([^,}\s]+)")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SECRET_WORDS = frozenset({"secret", "secrets", "password", "passwords", "passwd", "passphrase",
                           "credential", "credentials", "apikey", "token"})
_TOKENIZER_WORDS = frozenset({"bos", "eos", "pad", "unk", "sep", "cls", "mask", "special", "start", "end"})
_KEY_QUALIFIERS = frozenset({"account", "access", "api", "client", "private", "secret", "storage", "sas",
                             "shared", "signing", "encryption", "master", "auth"})


def key_words(key: str) -> list[str]:
    """``fs.azure.account.key.X`` -> [fs, azure, account, key, x]; ``keyPassword`` -> [key, password]."""
    return [w.lower() for w in _WORD.findall(str(key))]


def is_secret_key(key: str) -> bool:
    """True for a credential-like key (rule 2 in the module docstring)."""
    words = key_words(key)
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if word == "token":
            if before not in _TOKENIZER_WORDS and after not in ("id", "ids"):
                return True
        elif word in _SECRET_WORDS:
            return True
        elif word == "key" and before in _KEY_QUALIFIERS:
            return True
    return False


def env_names(text: Any) -> list[str]:
    """The environment variables a config string reads through ``${oc.env:NAME}``."""
    return _ENV_REF.findall(text) if isinstance(text, str) else []


def _container(config: Any, resolve: bool) -> Any:
    """An OmegaConf config or a dataclass instance as plain dicts and lists (anything else as it is)."""
    if is_dataclass(config) and not isinstance(config, type):
        config = OmegaConf.structured(config)
    return OmegaConf.to_container(config, resolve=resolve) if OmegaConf.is_config(config) else config


def _raw(config: Any) -> Any:
    return _container(config, resolve=False)


def _resolved(config: Any) -> Any:
    return _container(config, resolve=True)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def env_values(config: Any) -> list[str]:
    """The values of the set environment variables that ``config`` (unresolved) reads."""
    names = {n for value in _leaves(_raw(config)) for n in env_names(value)}
    return [os.environ[n] for n in sorted(names) if os.environ.get(n)]


def _mask_tree(resolved: Any, raw: Any, path: str, found: set[str]) -> Any:
    """``resolved`` with each value rule 1 or 2 marks replaced by MASK; what it replaced goes in ``found``.

    ``path`` is the dotted key path (list items share their list's), so ``{storage: {account: {key: v}}}``
    is judged as ``storage.account.key``, the same as the flat ``storage.account.key: v``."""
    marked = bool(env_names(raw)) or (path != "" and is_secret_key(path))
    if marked and not isinstance(resolved, (bool, type(None))):
        found.update(str(v) for v in _leaves(resolved) if not isinstance(v, (bool, type(None))) and str(v))
        return MASK
    if isinstance(resolved, dict):
        return {name: _mask_tree(item, raw.get(name) if isinstance(raw, dict) else None,
                                 f"{path}.{name}" if path else str(name), found)
                for name, item in resolved.items()}
    if isinstance(resolved, list):
        return [_mask_tree(item, raw[i] if isinstance(raw, list) and i < len(raw) else None, path, found)
                for i, item in enumerate(resolved)]
    return resolved


def _analyse(config: Any) -> tuple[Any, list[str]]:
    found = set(env_values(config))
    masked = _mask_tree(_resolved(config), _raw(config), "", found)
    return masked, sorted(found, key=lambda s: (-len(s), s))


def config_secrets(config: Any) -> list[str]:
    """Every secret text a config holds (rules 1 and 2, and the variables it reads), for :func:`mask_text`."""
    return _analyse(config)[1]


def mask_config(config: Any) -> Any:
    """The config as plain dicts and lists for the report, secrets replaced by ``***`` (module docstring);
    copies of a secret elsewhere in the config (``${other.key}``, a longer string) are masked in the text."""
    masked, secrets = _analyse(config)
    return mask_values(masked, secrets)


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (of at least MIN_TEXT_SECRET_CHARS characters) replaced by ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_TEXT_SECRET_CHARS}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def mask_values(value: Any, secrets: Iterable[str]) -> Any:
    """A JSON-like structure (a report) with every string in it, keys too, passed through :func:`mask_text`."""
    secrets = list(secrets)
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        return {mask_values(k, secrets): mask_values(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_values(item, secrets) for item in value]
    return value


class SecretFilter(logging.Filter):
    """A logging filter that masks secrets in a record's message, traceback and stack text."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let logging report it as it would
            return True
        masked = mask_text(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info, self.secrets)
        return True


@contextmanager
def masking(secrets: Iterable[str]) -> Iterator[SecretFilter]:
    """Within this block, mask ``secrets`` in every record the root logger's handlers (and byod's) emit,
    and in the message of any exception that leaves the block."""
    log_filter = SecretFilter(secrets)
    handlers = [*logging.getLogger().handlers, *logging.getLogger("byod").handlers]
    for handler in handlers:
        handler.addFilter(log_filter)
    try:
        yield log_filter
    except BaseException as error:
        error.args = tuple(mask_text(a, log_filter.secrets) if isinstance(a, str) else a for a in error.args)
        raise
    finally:
        for handler in handlers:
            handler.removeFilter(log_filter)
