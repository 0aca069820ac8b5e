"""Exact dedup on a normalized-text hash, and URL dedup: one window per stage, no join back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from byod.columns import ID, STAGE_REASON, TEXT, URL
from byod.stages.base import Filter, live_condition, require_columns
from byod.stages.dedup.survivor import (
    SurvivorReport,
    cluster_stats,
    priority_columns,
    survivor_order,
    validate_priority,
)

EXACT_DUPLICATE = "dedup.exact_duplicate"
URL_DUPLICATE = "dedup.url_duplicate"
#: Working columns: the group key of rows in a duplicate group (null for rows without a copy).
EXACT_KEY = "_byod_dedup_exact_key"
URL_KEY = "_byod_dedup_url_key"
_RANK = "_byod_dedup_rank"
_SIZE = "_byod_dedup_size"
_GROUP = "_byod_dedup_group"
# Java regexes (Spark built-ins): Unicode punctuation and symbols; runs of whitespace.
_PUNCT = r"[\p{P}\p{S}]+"
_SPACES = r"\s+"


def mark_duplicates(df: DataFrame, key: Column, live: Column, *, priority: tuple[str, ...] | None, code: str,
                    key_col: str) -> DataFrame:
    """Add ``STAGE_REASON`` = ``code`` to every live row but the first of its key group.

    Rows without a key (not live, or a null key) get a group of their own keyed by their id, so no
    giant null group lands in one task. ``key_col`` keeps the key of rows whose group has copies.
    """
    own = F.when(live & key.isNotNull(), key)
    group = F.coalesce(own, F.concat(F.lit("\u0000"), F.col(ID).cast("string")))
    window = Window.partitionBy(_GROUP)
    return (
        df.withColumn(key_col, own)
        .withColumn(_GROUP, group)
        .withColumn(_RANK, F.row_number().over(window.orderBy(*survivor_order(df, priority))))
        .withColumn(_SIZE, F.count(F.lit(1)).over(window))
        .withColumn(STAGE_REASON, F.when(F.col(key_col).isNotNull() & (F.col(_RANK) > 1), F.lit(code))
                    .cast("string"))
        .withColumn(key_col, F.when(F.col(_SIZE) > 1, F.col(key_col)))
        .drop(_GROUP, _RANK, _SIZE)
    )


@dataclass(frozen=True, kw_only=True)
class ExactDedup(SurvivorReport, Filter):
    """Drop documents whose normalized text equals an earlier one's (SHA-256 of the normalized text).

    Normalization, in order: lowercase, strip Unicode punctuation and symbols, collapse whitespace
    runs to one space and trim. Empty texts (after normalization) form one group like any other; null
    texts are skipped.

    Survivor of a group (reported as ``params.survivor``): the newest ``timestamp`` where the frame has
    that column (strings parsed as timestamps; missing or unparseable ones count as oldest), then the
    longest text, then the smallest ``id``; rows sharing an id (a file read twice) by a hash of their
    other columns. ``priority`` replaces the timestamp and length keys.

    Args:
        lowercase: compare case-insensitively.
        strip_punctuation: ignore punctuation and symbols (``Hello, world!`` == ``hello world``).
        collapse_whitespace: ignore runs and kinds of whitespace and leading/trailing space.
        priority: override of the survivor rule: column names, ``-name`` for descending, then ``id``
            (``("-source_rank",)``); ``()``: the smallest ``id``. ``None``: the default rule above.

    Reason code: ``dedup.exact_duplicate``.
    """

    lowercase: bool = True
    strip_punctuation: bool = False
    collapse_whitespace: bool = True
    priority: tuple[str, ...] | None = None
    needs_materialized_input: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for flag in ("lowercase", "strip_punctuation", "collapse_whitespace"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{self.name}.{flag} must be a bool; got {getattr(self, flag)!r}")
        validate_priority(self.priority, self.name)

    def key(self) -> Column:
        """The group key: SHA-256 hex of the normalized text."""
        text = F.col(TEXT)
        if self.lowercase:
            text = F.lower(text)
        if self.strip_punctuation:
            text = F.regexp_replace(text, _PUNCT, " " if self.collapse_whitespace else "")
        if self.collapse_whitespace:
            text = F.trim(F.regexp_replace(text, _SPACES, " "))
        return F.sha2(text, 256)

    def annotate_live(self, df: DataFrame, live: Column) -> DataFrame:
        """:meth:`annotate` among the rows where ``live`` holds (``Dedup`` chains stages with it)."""
        require_columns(df, self.name, ID, TEXT, *priority_columns(self.priority))
        self.note_columns(df)
        return mark_duplicates(df, self.key(), live, priority=self.priority, code=EXACT_DUPLICATE,
                               key_col=EXACT_KEY)

    def annotate(self, df: DataFrame) -> DataFrame:
        return self.annotate_live(df, live_condition(df))

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        return {"exact": cluster_stats(annotated, EXACT_KEY, EXACT_DUPLICATE)}


@dataclass(frozen=True, kw_only=True)
class UrlDedup(SurvivorReport, Filter):
    """Drop documents whose URL equals an earlier one's (a page crawled twice, alias copies).

    The URL is trimmed and its ``#fragment`` removed; with ``lowercase`` it is compared case-
    insensitively. Rows with a null or empty URL are never URL duplicates. The survivor is chosen as in
    :class:`ExactDedup` (newest ``timestamp``, then longest text, then smallest ``id``).

    Args:
        lowercase: compare URLs case-insensitively (hosts are; paths usually are not).
        priority: override of the survivor rule (see :class:`ExactDedup`); ``None``: the default rule.

    Reason code: ``dedup.url_duplicate``.
    """

    lowercase: bool = False
    priority: tuple[str, ...] | None = None
    needs_materialized_input: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.lowercase, bool):
            raise TypeError(f"{self.name}.lowercase must be a bool; got {self.lowercase!r}")
        validate_priority(self.priority, self.name)

    def key(self) -> Column:
        """The group key: the URL without fragment and surrounding space; null when empty."""
        url = F.trim(F.regexp_replace(F.col(URL), r"#.*$", ""))
        url = F.lower(url) if self.lowercase else url
        return F.when(F.length(url) > 0, url)

    def annotate_live(self, df: DataFrame, live: Column) -> DataFrame:
        """:meth:`annotate` among the rows where ``live`` holds (``Dedup`` chains stages with it)."""
        require_columns(df, self.name, ID, URL, TEXT, *priority_columns(self.priority))
        self.note_columns(df)
        return mark_duplicates(df, self.key(), live, priority=self.priority, code=URL_DUPLICATE,
                               key_col=URL_KEY)

    def annotate(self, df: DataFrame) -> DataFrame:
        return self.annotate_live(df, live_condition(df))

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        return {"url": cluster_stats(annotated, URL_KEY, URL_DUPLICATE)}
