"""Shared reader plumbing: decoding raw records, naming where they came from, and the output layout.

Every reader ends in :func:`finish_frame`, so good and rejected records leave in one frame with the
columns :mod:`byod.sources.base` promises; :func:`split_rejected` is what the pipeline's quarantine
writer and the tests use to look at the two halves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from byod.columns import ID, ORIGIN, RAW, REJECT_REASON, SOURCE, TEXT, WORK_PREFIX
from byod.errors import ConfigError, SchemaError
from byod.ids import stable_id_column
from byod.sources.base import MAX_RAW_CHARS

#: The working column holding a record's natural key (url, id field, relative path and line).
KEY = WORK_PREFIX + "key"
#: Metadata column readers of files add: the file a record came from.
PATH = "path"
#: Names a reader may not use for a metadata column, since the output layout owns them.
RESERVED_COLUMNS = frozenset({ID, TEXT, SOURCE, REJECT_REASON, ORIGIN, RAW, PATH, KEY})


def truncate_raw(value: str | bytes | None) -> str | None:
    """The raw record as the quarantine keeps it: text (bad bytes replaced), at most MAX_RAW_CHARS."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value[: MAX_RAW_CHARS * 4].decode("utf-8", errors="replace")
    return value[:MAX_RAW_CHARS]


def decode_utf8(data: bytes, fallback_encoding: str | None = None) -> str | None:
    """Strict UTF-8 decoding (then the fallback, if any); None when the bytes are not valid text."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if fallback_encoding is None:
            return None
        try:
            return data.decode(fallback_encoding)
        except UnicodeDecodeError:
            return None


def encodable(text: str) -> bool:
    """False for strings Arrow cannot write as UTF-8 (lone surrogates from JSON escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def as_string(value: Any) -> str | None:
    """A metadata value as a string column holds it: strings as they are, anything else as JSON."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if encodable(text) else text.encode("utf-8", errors="replace").decode("utf-8")


def local_path(file_path: str) -> str:
    """A Spark ``_metadata.file_path`` (``file:/a%20b/c``) as a user reads it (``/a b/c``)."""
    path = unquote(file_path)
    if path.startswith("file://"):
        return path[len("file://") :]
    if path.startswith("file:"):
        return path[len("file:") :]
    return path


def relative_key(path: str, root: str | None) -> str:
    """The path relative to the inputs' common root, so a moved corpus keeps its ids."""
    if root and path.startswith(root.rstrip("/") + "/"):
        return path[len(root.rstrip("/")) + 1 :]
    return path


class BlockCounter:
    """Numbers the lines of each file split a Spark task reads, in order, without a shuffle.

    A file scan hands one task its splits one after another, so a running count per
    ``(file, split start)`` is the line number; a split that does not start at byte 0 (a large
    uncompressed file) is named ``path@start+k`` instead of ``path:line``.
    """

    def __init__(self) -> None:
        self._block: tuple[str, int] | None = None
        self._count = 0

    def next(self, path: str, start: int) -> str:
        """The position of the next line after its path: ``:line`` (1-based) or ``@start+k``."""
        if self._block != (path, start):
            self._block = (path, start)
            self._count = 0
        self._count += 1
        return f":{self._count}" if start == 0 else f"@{start}+{self._count}"


def finish_frame(df: DataFrame, *, source: str, metadata: Sequence[str] = ()) -> DataFrame:
    """Lay a reader's frame out as the contract says: id, text, source, metadata, bookkeeping.

    ``df`` must hold ``text``, ``reject_reason``, ``origin``, ``raw`` and :data:`KEY`; the id hashes
    the source, the natural key (the origin for rejected rows) and the text.
    """
    source_col = F.lit(source)
    key = F.coalesce(F.col(KEY), F.col(ORIGIN))
    columns: list[Column] = [
        stable_id_column(source_col, key, F.col(TEXT)).alias(ID),
        F.col(TEXT).cast("string").alias(TEXT),
        source_col.alias(SOURCE),
        *[F.col(name) for name in metadata],
        F.col(REJECT_REASON).cast("string").alias(REJECT_REASON),
        F.when(F.col(REJECT_REASON).isNotNull(), F.col(ORIGIN)).cast("string").alias(ORIGIN),
        F.when(F.col(REJECT_REASON).isNotNull(), F.col(RAW)).cast("string").alias(RAW),
    ]
    return df.select(*columns)


def split_rejected(df: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The good records (bookkeeping columns dropped) and the rejected ones (as the quarantine keeps them)."""
    good = df.filter(F.col(REJECT_REASON).isNull()).drop(REJECT_REASON, ORIGIN, RAW)
    rejected = df.filter(F.col(REJECT_REASON).isNotNull())
    return good, rejected


def check_metadata_names(names: Sequence[str]) -> None:
    """Refuse metadata columns that would overwrite the layout's own columns."""
    clash = sorted(set(names) & RESERVED_COLUMNS)
    if clash:
        raise ConfigError(f"metadata column(s) {clash} clash with reader output columns; rename them")


def from_typed_frame(
    df: DataFrame,
    *,
    text_column: str,
    id_column: str | None,
    metadata_columns: Sequence[str],
    source: str,
    key: Column,
    origin: Column,
    missing_code: str,
    empty_code: str,
    corrupt_column: str | None = None,
    bad_row_code: str | None = None,
) -> DataFrame:
    """Documents from a frame with a text column: null text, blank text and bad rows are rejected.

    ``corrupt_column`` names the column a PERMISSIVE Spark reader fills with a malformed row's raw
    text; such rows are rejected with ``bad_row_code``.
    """
    check_metadata_names(metadata_columns)
    needed = [text_column, *metadata_columns] + ([id_column] if id_column else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise SchemaError(f"{source}: column(s) {missing} not found; the input has {df.columns}")
    if not isinstance(df.schema[text_column].dataType, StringType):
        raise SchemaError(
            f"{source}: text column {text_column!r} is {df.schema[text_column].dataType.simpleString()}, "
            "expected string; pass text_column= naming a string column"
        )
    text = F.col(text_column)
    reason = F.when(text.isNull(), F.lit(missing_code)).when(F.trim(text) == "", F.lit(empty_code))
    bad_row = F.col(corrupt_column).isNotNull() if corrupt_column is not None else None
    if bad_row is not None:
        reason = F.when(bad_row, F.lit(bad_row_code)).otherwise(reason)
    original = [c for c in df.columns if not c.startswith("_byod_")]
    raw = F.substring(F.to_json(F.struct(*[F.col(c) for c in original])), 1, MAX_RAW_CHARS)
    if bad_row is not None:
        raw = F.when(bad_row, F.substring(F.col(corrupt_column), 1, MAX_RAW_CHARS)).otherwise(raw)
    frame = df.select(
        F.when(reason.isNull(), text).alias(TEXT),
        (F.col(id_column).cast("string") if id_column else key).alias(KEY),
        reason.alias(REJECT_REASON),
        origin.alias(ORIGIN),
        raw.alias(RAW),
        *[F.col(c) for c in metadata_columns],
        *([F.col(PATH)] if PATH in df.columns and PATH not in metadata_columns else []),
    )
    metadata = list(metadata_columns) + ([PATH] if PATH in frame.columns and PATH not in metadata_columns else [])
    return finish_frame(frame, source=source, metadata=metadata)
