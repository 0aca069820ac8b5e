"""The two filter bases that own the plumbing: a rule names why a text goes, an edit rewrites the text.

A subclass holds its rule as one pure method over a ``str`` (tested without Spark); the base builds the
one vectorized UDF the stage runs (a pandas UDF over Arrow batches), checks the schema before any Spark
job, hands the UDF only the text of rows still in play and of the chosen ``sources`` (null elsewhere,
so no time goes to rows already out), and folds the answer into the frame.

    @dataclass(frozen=True, kw_only=True)
    class ShortDocFilter(RuleFilter):
        min_chars: int = 100

        def reason(self, text: str) -> str | None:
            return SHORT_DOC if len(text) < self.min_chars else None
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import StringType

from byod.columns import SOURCE, STAGE_REASON, TEXT, WORK_PREFIX
from byod.errors import SchemaError
from byod.stages.base import Filter, live_condition, require_columns

#: The working struct column an edit or a measured rule lives in between its UDF and the fold.
_RESULT = f"{WORK_PREFIX}rule_result"


def reason_udf(rule: Callable[[str], str | None]) -> Callable[[Column], Column]:
    """A pandas UDF giving ``rule(text)`` per row, a reason code or null; null text gives null."""

    @pandas_udf(StringType())
    def reasons(texts: pd.Series) -> pd.Series:
        return pd.Series([None if t is None else rule(t) for t in texts], dtype=object)

    return reasons


def struct_udf(rule: Callable[[str], tuple[Any, ...]], fields: Sequence[tuple[str, str]]) -> Callable[[Column], Column]:
    """A pandas UDF giving ``rule(text)`` per row as a struct of ``fields`` (``(name, Spark SQL type)``
    pairs, in the tuple's order); null text gives a row of nulls."""
    names = [name for name, _ in fields]
    empty = (None,) * len(names)

    @pandas_udf(", ".join(f"`{name}` {kind}" for name, kind in fields))
    def struct(texts: pd.Series) -> pd.DataFrame:
        rows = [empty if t is None else rule(t) for t in texts]
        return pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)

    return struct


@dataclass(frozen=True, kw_only=True)
class _TextFilter(Filter):
    """What both bases share: the text column, the schema check and the text of rows in play."""

    #: The column the rule reads (and an edit rewrites). Left unannotated so that a subclass may make it a
    #: dataclass field, a parameter in its own place (ArxivLatexClean does).
    text_column = TEXT

    def text_in_play(self, df: DataFrame, *writes: str) -> Column:
        """Check the schema, then return the text of live rows of the chosen sources, null elsewhere.

        ``writes`` are the columns the stage adds: one already in the frame is an error, not an overwrite.
        """
        require_columns(df, self.name, self.text_column, *((SOURCE,) if self.sources is not None else ()))
        clash = [c for c in writes if c in df.columns]
        if clash:
            raise SchemaError(f"{self.name} writes {clash} but the frame already has them; drop or rename them first")
        in_play = live_condition(df)
        if self.sources is not None:
            in_play = in_play & F.col(SOURCE).isin(list(self.sources))
        return F.when(in_play, F.col(self.text_column))

    def annotate_in_scope(self, df: DataFrame) -> DataFrame:
        return self.annotate(df)  # annotate() leaves rows of other sources alone itself


@dataclass(frozen=True, kw_only=True)
class RuleFilter(_TextFilter):
    """Base of the filters that judge a text: implement :meth:`reason` and nothing else.

    A rule that also keeps figures as columns (LanguageFilter keeps ``language`` and ``language_score``)
    lists them in :attr:`score_columns` and implements :meth:`measure`, which returns the reason and
    the figures in one pass; :meth:`reason` then follows from it. Rows out of play get nulls.
    """

    #: Columns kept beside the reason, as ``(name, Spark SQL type)``: :meth:`measure` fills them.
    score_columns: ClassVar[tuple[tuple[str, str], ...]] = ()

    def reason(self, text: str) -> str | None:  # pragma: no cover - abstract
        """The reason code ``text`` is dropped for (the first rule it fails), or None to keep it."""
        raise NotImplementedError(f"{self.name} must implement reason")

    def measure(self, text: str) -> tuple[Any, ...]:
        """``(reason, *figures)`` in :attr:`score_columns` order; only rules with score columns need it."""
        return (self.reason(text),)

    def annotate(self, df: DataFrame) -> DataFrame:
        names = [name for name, _ in self.score_columns]
        text = self.text_in_play(df, *names)
        if not names:
            return df.withColumn(STAGE_REASON, reason_udf(self.reason)(text))
        scored = df.withColumn(_RESULT, struct_udf(self.measure, (("reason", "string"), *self.score_columns))(text))
        figures = {name: F.col(_RESULT)[name] for name in names}
        return scored.withColumns({STAGE_REASON: F.col(_RESULT)["reason"], **figures}).drop(_RESULT)


@dataclass(frozen=True, kw_only=True)
class EditFilter(_TextFilter):
    """Base of the filters that rewrite a text and may drop it: implement :meth:`edit` and nothing else.

    A kept document (null reason) gets the new text; a dropped one keeps its text as it was, so
    ``keep_all=True`` shows what the rule saw. Rows out of play are neither edited nor judged.
    """

    def edit(self, text: str) -> tuple[str | None, str | None]:  # pragma: no cover - abstract
        """``(new text, None)`` to keep the document, or ``(anything, reason code)`` to drop it."""
        raise NotImplementedError(f"{self.name} must implement edit")

    def _edit_or_drop(self, text: str) -> tuple[str | None, str | None]:
        """:meth:`edit`, without sending back the text of a dropped document (it is not used)."""
        edited, reason = self.edit(text)
        return (None, reason) if reason is not None else (edited, None)

    def annotate(self, df: DataFrame) -> DataFrame:
        text = self.text_in_play(df)
        edited = df.withColumn(_RESULT, struct_udf(self._edit_or_drop, (("text", "string"), ("reason", "string")))(text))
        reason, new_text = F.col(_RESULT)["reason"], F.col(_RESULT)["text"]
        keep_edit = reason.isNull() & new_text.isNotNull()
        return (edited.withColumns({
            STAGE_REASON: reason,
            self.text_column: F.when(keep_edit, new_text).otherwise(F.col(self.text_column)),
        }).drop(_RESULT))
