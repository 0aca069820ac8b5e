"""Per-record parsing inside Spark tasks: JSON lines and raw text into text + reject reason.

The functions here are pure (``bytes -> fields``) so they are tested without Spark; the ``*_batches``
functions wrap them for ``mapInArrow`` over a file scan of ``(bytes, file_path, block_start)`` rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from byod.sources.quarantine import (
    BlockCounter,
    as_string,
    decode_utf8,
    encodable,
    local_path,
    relative_key,
    truncate_raw,
)

JSONL_BAD_JSON = "jsonl.bad_json"
JSONL_INVALID_UTF8 = "jsonl.invalid_utf8"
JSONL_MISSING_TEXT = "jsonl.missing_text"
JSONL_WRONG_TYPE = "jsonl.wrong_type"
JSONL_EMPTY_TEXT = "jsonl.empty_text"
#: Nested deeper than Python's JSON parser goes (its recursion limit, about 1,000 levels).
JSONL_TOO_DEEP = "jsonl.too_deep"
#: A line over the reader's ``max_record_bytes``; only its head is ever read into memory.
JSONL_TOO_LONG = "jsonl.too_long"
TEXT_TOO_LONG = "text.too_long"
TEXT_INVALID_UTF8 = "text.invalid_utf8"
TEXT_EMPTY_TEXT = "text.empty_text"

#: Input columns the batch functions expect from the scan.
BYTES, FILE_PATH, BLOCK_START = "_byod_bytes", "_byod_file_path", "_byod_block_start"
#: Set (with a one-line message) on a scan row that is a record which could not be read at all:
#: an unreadable file or a too-long record (see :mod:`byod.sources.scan`); its bytes are null.
ERROR, MESSAGE = "_byod_error", "_byod_message"
#: Output columns every batch function writes before its metadata columns.
BASE_FIELDS = ("text", "_byod_key", "path", "reject_reason", "origin", "raw")


@dataclass(frozen=True)
class Parsed:
    """One record: its text (None when rejected), reason, natural key and metadata values."""

    text: str | None
    reason: str | None = None
    key: str | None = None
    metadata: tuple[str | None, ...] = ()


def parse_json_record(
    data: bytes, *, text_field: str, key_field: str | None = None, metadata_fields: Sequence[str] = ()
) -> Parsed:
    """Parse one JSON line into text, key and metadata, or the reason it cannot be a document."""
    try:
        return _parse_json(data, text_field=text_field, key_field=key_field, metadata_fields=metadata_fields)
    except RecursionError:  # 100,000 nested '[' would otherwise end the task
        return Parsed(None, JSONL_TOO_DEEP, metadata=(None,) * len(metadata_fields))


def _parse_json(data: bytes, *, text_field: str, key_field: str | None, metadata_fields: Sequence[str]) -> Parsed:
    empty_meta = (None,) * len(metadata_fields)
    line = decode_utf8(data)
    if line is None:
        return Parsed(None, JSONL_INVALID_UTF8, metadata=empty_meta)
    try:
        record: Any = json.loads(line)
    except ValueError:
        return Parsed(None, JSONL_BAD_JSON, metadata=empty_meta)
    if not isinstance(record, dict):
        return Parsed(None, JSONL_WRONG_TYPE, metadata=empty_meta)
    metadata = tuple(as_string(record.get(name)) for name in metadata_fields)
    key = as_string(record.get(key_field)) if key_field is not None else None
    text = record.get(text_field)
    if text is None:
        return Parsed(None, JSONL_MISSING_TEXT, key, metadata)
    if not isinstance(text, str):
        return Parsed(None, JSONL_WRONG_TYPE, key, metadata)
    if not encodable(text):
        return Parsed(None, JSONL_INVALID_UTF8, key, metadata)
    if not text.strip():
        return Parsed(None, JSONL_EMPTY_TEXT, key, metadata)
    return Parsed(text, None, key, metadata)


def parse_text_record(data: bytes, *, fallback_encoding: str | None = None) -> Parsed:
    """A raw text document (a line or a whole file): decoded text, or why it is not one."""
    text = decode_utf8(data, fallback_encoding)
    if text is None:
        return Parsed(None, TEXT_INVALID_UTF8)
    if not text.strip():
        return Parsed(None, TEXT_EMPTY_TEXT)
    return Parsed(text)


def output_schema(metadata: Sequence[str]) -> str:
    """The DDL schema the batch functions return: base fields, then metadata as strings."""
    return ", ".join(f"`{name}` string" for name in (*BASE_FIELDS, *metadata))


def rows_to_batch(rows: list[tuple], names: Sequence[str]) -> pa.RecordBatch:
    """Rows of strings as one Arrow batch with the given column names (every column a string)."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pa.RecordBatch.from_arrays([pa.array(list(c), type=pa.string()) for c in columns], names=list(names))


def _walk(
    batches: Iterator[pa.RecordBatch], parse, *, per_file: bool, root: str | None, metadata: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    """Apply ``parse`` to each non-blank record of a scan, numbering lines per file split."""
    names = (*BASE_FIELDS, *metadata)
    counter = BlockCounter()
    empty_meta = (None,) * len(metadata)
    for batch in batches:
        rows = []
        values = batch.column(BYTES).to_pylist()
        paths = batch.column(FILE_PATH).to_pylist()
        starts = batch.column(BLOCK_START).to_pylist()
        errors = scan_errors(batch)
        for data, file_path, start, (error, message) in zip(values, paths, starts, errors, strict=True):
            path = local_path(file_path)
            suffix = "" if per_file or start is None else counter.next(path, start)
            if error is not None:
                origin = path + suffix
                rows.append((None, relative_key(path, root) + suffix, path, error, origin, message, *empty_meta))
                continue
            if not data or (not per_file and not data.strip()):
                continue  # an empty file or a blank line holds no record
            parsed = parse(data)
            key = parsed.key if parsed.key is not None else relative_key(path, root) + suffix
            raw = truncate_raw(data) if parsed.reason is not None else None
            rows.append((parsed.text, key, path, parsed.reason, path + suffix, raw, *parsed.metadata))
        yield rows_to_batch(rows, names)


def scan_errors(batch: pa.RecordBatch) -> list[tuple[str | None, str | None]]:
    """Each scan row's ``(error code, message)``, both None for a record that was read."""
    if ERROR not in batch.schema.names:
        return [(None, None)] * batch.num_rows
    messages = [truncate_raw(m) for m in batch.column(MESSAGE).to_pylist()]
    return list(zip(batch.column(ERROR).to_pylist(), messages, strict=True))


def json_batches(*, text_field: str, key_field: str | None, metadata_fields: Sequence[str], root: str | None):
    """A ``mapInArrow`` function parsing JSON lines (see :func:`parse_json_record`)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        def parse(data: bytes) -> Parsed:
            return parse_json_record(data, text_field=text_field, key_field=key_field, metadata_fields=metadata_fields)

        return _walk(batches, parse, per_file=False, root=root, metadata=metadata_fields)

    return run


def text_batches(*, per_file: bool, fallback_encoding: str | None, root: str | None):
    """A ``mapInArrow`` function turning lines or whole files into documents."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        def parse(data: bytes) -> Parsed:
            return parse_text_record(data, fallback_encoding=fallback_encoding)

        return _walk(batches, parse, per_file=per_file, root=root, metadata=())

    return run
