"""Finetuning examples checked with llm-foundry's rules; the ``ValidateFinetune`` filter applies them.

An example is llm-foundry's own shape, stored in ``text`` as canonical JSON: ``{"prompt", "response"}``
or ``{"messages": [{"role", "content"}, ...]}``. The rules follow ``_validate_chat_formatted_example``
and ``_tokenize_prompt_response_formatted_example`` in llm-foundry's ``llmfoundry/data/finetuning/tasks.py``,
in the same order, so the first reason here is the error llm-foundry would raise; rows llm-foundry
would crash on (a message without ``role``, a message that is not an object) get a code too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from byod.columns import STAGE_REASON, TEXT
from byod.stages.base import Filter, live_text, require_columns

FT_NOT_OBJECT = "ft.not_object"
FT_UNKNOWN_FORMAT = "ft.unknown_format"
FT_AMBIGUOUS_FORMAT = "ft.ambiguous_format"
FT_MISSING_PROMPT = "ft.missing_prompt"
FT_MISSING_RESPONSE = "ft.missing_response"
FT_PROMPT_NOT_STRING = "ft.prompt_not_string"
FT_RESPONSE_NOT_STRING = "ft.response_not_string"
FT_EMPTY_PROMPT = "ft.empty_prompt"
FT_EMPTY_RESPONSE = "ft.empty_response"
FT_MISSING_MESSAGES = "ft.missing_messages"
FT_MESSAGES_NOT_LIST = "ft.messages_not_list"
FT_TOO_FEW_MESSAGES = "ft.too_few_messages"
FT_MESSAGE_NOT_OBJECT = "ft.message_not_object"
FT_MESSAGE_KEYS = "ft.message_keys"
FT_LAST_NOT_ASSISTANT = "ft.last_not_assistant"
FT_BAD_ROLE = "ft.bad_role"
FT_CONTENT_NOT_STRING = "ft.content_not_string"
FT_REPEATED_ROLE = "ft.repeated_role"
FT_TOO_MANY_CHARS = "ft.too_many_chars"

#: Every code :func:`example_reason` can return, in rule order.
VALIDATION_CODES = (FT_NOT_OBJECT, FT_UNKNOWN_FORMAT, FT_AMBIGUOUS_FORMAT, FT_MISSING_PROMPT, FT_MISSING_RESPONSE,
                    FT_PROMPT_NOT_STRING, FT_RESPONSE_NOT_STRING, FT_EMPTY_PROMPT, FT_EMPTY_RESPONSE,
                    FT_MISSING_MESSAGES, FT_MESSAGES_NOT_LIST, FT_TOO_FEW_MESSAGES, FT_MESSAGE_NOT_OBJECT,
                    FT_MESSAGE_KEYS, FT_LAST_NOT_ASSISTANT, FT_BAD_ROLE, FT_CONTENT_NOT_STRING, FT_REPEATED_ROLE,
                    FT_TOO_MANY_CHARS)

#: llm-foundry's allowed roles and message keys (``_ALLOWED_ROLES``, ``_ALLOWED_ROLE_KEYS | _ALLOWED_CONTENT_KEYS``).
ALLOWED_ROLES = frozenset({"system", "user", "assistant", "tool"})
MESSAGE_KEYS = frozenset({"role", "content"})
#: Column a finetuning reader adds: the example's format, ``'prompt_response'`` or ``'chat'``.
FT_FORMAT = "ft_format"
PROMPT_RESPONSE = "prompt_response"
CHAT = "chat"
ExampleFormat = Literal["auto", "prompt_response", "chat"]
FORMATS = ("auto", PROMPT_RESPONSE, CHAT)


def check_prompt_response(prompt: Any, response: Any) -> str | None:
    """The first rule a prompt/response pair breaks, or None: both present, strings, not blank."""
    if prompt is None:
        return FT_MISSING_PROMPT
    if response is None:
        return FT_MISSING_RESPONSE
    if not isinstance(prompt, str):
        return FT_PROMPT_NOT_STRING
    if not isinstance(response, str):
        return FT_RESPONSE_NOT_STRING
    if not prompt.strip():
        return FT_EMPTY_PROMPT
    if not response.strip():
        return FT_EMPTY_RESPONSE
    return None


def _message_shape(message: Any) -> str | None:
    if not isinstance(message, Mapping):
        return FT_MESSAGE_NOT_OBJECT
    if set(message.keys()) != MESSAGE_KEYS:
        return FT_MESSAGE_KEYS
    return None


def check_messages(messages: Any) -> str | None:
    """The first rule a chat breaks, or None, in ``_validate_chat_formatted_example``'s order.

    A list of at least two messages; the last from the assistant; each exactly ``role`` and
    ``content``, a role among system/user/assistant/tool, string content, no role twice in a row.
    """
    if messages is None:
        return FT_MISSING_MESSAGES
    if not isinstance(messages, list):
        return FT_MESSAGES_NOT_LIST
    if len(messages) <= 1:
        return FT_TOO_FEW_MESSAGES
    shape = _message_shape(messages[-1])
    if shape is not None:
        return shape
    if messages[-1]["role"] != "assistant":
        return FT_LAST_NOT_ASSISTANT
    previous = None
    for message in messages:
        shape = _message_shape(message)
        if shape is not None:
            return shape
        role = message["role"]
        if not isinstance(role, str) or role not in ALLOWED_ROLES:
            return FT_BAD_ROLE
        if not isinstance(message["content"], str):
            return FT_CONTENT_NOT_STRING
        if role == previous:
            return FT_REPEATED_ROLE
        previous = role
    return None


def example_chars(example: Mapping[str, Any]) -> int:
    """Characters of text in a valid example: prompt + response, or every message's content."""
    if "messages" in example:
        return sum(len(m["content"]) for m in example["messages"])
    return len(example["prompt"]) + len(example["response"])


@dataclass(frozen=True)
class Checked:
    """One record after the checks: canonical JSON and its format, or the reason it is invalid."""

    text: str | None
    example_format: str | None
    reason: str | None


def canonical_json(example: Mapping[str, Any]) -> str:
    """The stored form of an example: sorted keys, UTF-8 kept, so equal examples are equal strings."""
    return json.dumps(example, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def check_record(record: Any, *, example_format: ExampleFormat = "auto", prompt_key: str = "prompt",
                 response_keys: tuple[str, ...] = ("response", "completion"), messages_key: str = "messages",
                 max_chars: int | None = None) -> Checked:
    """Turn one input record (a parsed JSON object or row) into a canonical example, or a reason.

    Only the mapped keys are read (other keys, such as an ``id``, are ignored). In ``auto`` mode a
    record with ``messages_key`` is a chat and one with ``prompt_key`` a prompt/response pair.
    """
    if not isinstance(record, Mapping):
        return Checked(None, None, FT_NOT_OBJECT)
    has_chat = record.get(messages_key) is not None
    has_pair = record.get(prompt_key) is not None or any(record.get(k) is not None for k in response_keys)
    if example_format == "auto":
        if has_chat and has_pair:
            return Checked(None, None, FT_AMBIGUOUS_FORMAT)
        if not has_chat and not has_pair:
            return Checked(None, None, FT_UNKNOWN_FORMAT)
        example_format = CHAT if has_chat else PROMPT_RESPONSE
    if example_format == CHAT:
        messages = record.get(messages_key)
        reason = check_messages(messages)
        example: dict[str, Any] = {"messages": messages}
    else:
        response = next((record[k] for k in response_keys if record.get(k) is not None), None)
        reason = check_prompt_response(record.get(prompt_key), response)
        example = {"prompt": record.get(prompt_key), "response": response}
    if reason is None and max_chars is not None and example_chars(example) > max_chars:
        reason = FT_TOO_MANY_CHARS
    if reason is not None:
        return Checked(None, example_format, reason)
    return Checked(canonical_json(example), example_format, None)


def example_reason(text: str | None, max_chars: int | None = None) -> str | None:
    """The reason a canonical-JSON example in ``text`` is invalid (None when valid or null)."""
    if text is None:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return FT_NOT_OBJECT
    if isinstance(record, Mapping) and set(record) not in ({"messages"}, {"prompt", "response"},
                                                           {"prompt", "completion"}):
        return FT_UNKNOWN_FORMAT  # llm-foundry's _get_example_type: exactly these keys
    return check_record(record, max_chars=max_chars).reason


@dataclass(frozen=True, kw_only=True)
class ValidateFinetune(Filter):
    """Drop finetuning examples llm-foundry would reject, with the rule they break as the reason.

    For frames whose ``text`` holds examples as JSON built elsewhere; :func:`byod.sources.finetune.read_finetune`
    already applies the same rules as it reads and rejects bad records into the quarantine. Rules, in
    order (llm-foundry ``_get_example_type`` then ``_validate_chat_formatted_example``): a JSON object with
    exactly ``messages`` or ``prompt`` + ``response``/``completion``; prompt and response non-blank
    strings; a chat is a list of at least two messages, the last from the assistant, each exactly
    ``role`` + ``content``, a known role, string content, no role twice in a row.

    Args:
        max_chars: drop examples with more characters of text than this; None keeps any length.

    Reason codes: the ``ft.*`` codes in :data:`VALIDATION_CODES`.
    """

    max_chars: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_chars is not None and (isinstance(self.max_chars, bool) or self.max_chars < 1):
            raise ValueError(f"{self.name}.max_chars must be >= 1 or None, got {self.max_chars!r}")

    def annotate(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, TEXT)
        max_chars = self.max_chars

        @F.pandas_udf(StringType())
        def reasons(texts: pd.Series) -> pd.Series:
            return pd.Series([example_reason(t, max_chars) if isinstance(t, str) else None for t in texts],
                             dtype=object)

        return df.withColumn(STAGE_REASON, reasons(live_text(df)))
