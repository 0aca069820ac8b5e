"""The stage contract: a frozen dataclass of parameters whose call maps a DataFrame to a DataFrame.

A *filter* never removes rows itself inside a :class:`byod.pipeline.Pipeline`: it computes one string
column (:data:`byod.columns.STAGE_REASON`), a reason code or null, and the pipeline folds it into
``drop_reason`` (first reason wins), persists the annotated frame once and counts drops by reason from
data. Used alone (``df.transform(GopherQualityFilter())``) a filter drops the rows it flags, or, with
``keep_all=True``, keeps every row and leaves the reason in ``drop_reason`` for analysis.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, DROP_STAGE, REJECT_REASON, SOURCE, STAGE_REASON, TEXT, WORK_PREFIX
from byod.errors import SchemaError

_SAVED_REASON = "_byod_saved_reason"
_WORK_DIR: contextvars.ContextVar[str | None] = contextvars.ContextVar("byod_work_dir", default=None)
_FIGURES: contextvars.ContextVar[RunFigures | None] = contextvars.ContextVar("byod_run_figures", default=None)


def current_work_dir() -> str | None:
    """The work folder of the pipeline run in progress, for stages that checkpoint (None outside a run)."""
    return _WORK_DIR.get()


@contextlib.contextmanager
def work_dir_scope(path: str) -> Iterator[None]:
    """Within this block, stages without a work folder of their own checkpoint under ``path``."""
    token = _WORK_DIR.set(path)
    try:
        yield
    finally:
        _WORK_DIR.reset(token)


class RunFigures:
    """Figures stages measure while they build their plan (dedup's edges and rounds), kept per run.

    Stages are frozen values, so a run's figures live here, not on the stage: a stage records under
    its parameters (type and repr), and its ``stats`` reads them back in the same scope.
    """

    def __init__(self) -> None:
        self._by_stage: dict[tuple[str, str], dict[str, Any]] = {}

    @staticmethod
    def _key(stage: Any) -> tuple[str, str]:
        return type(stage).__qualname__, repr(stage)

    def record(self, stage: Any, figures: dict[str, Any]) -> None:
        self._by_stage.setdefault(self._key(stage), {}).update(figures)

    def of(self, stage: Any) -> dict[str, Any]:
        """What ``stage`` recorded in this scope ({} when nothing)."""
        return dict(self._by_stage.get(self._key(stage), {}))


@contextlib.contextmanager
def figures_scope() -> Iterator[RunFigures]:
    """Within this block stages record their run figures into the yielded :class:`RunFigures`.

    :meth:`byod.pipeline.Pipeline.run` opens one per run; around a standalone stage, open one to read
    them: ``with figures_scope() as figures: out = df.transform(stage); figures.of(stage)``.
    """
    figures = RunFigures()
    token = _FIGURES.set(figures)
    try:
        yield figures
    finally:
        _FIGURES.reset(token)


def record_figures(stage: Any, **figures: Any) -> None:
    """Record figures for ``stage`` in the current scope; a no-op outside one."""
    scope = _FIGURES.get()
    if scope is not None:
        scope.record(stage, figures)


def recorded_figures(stage: Any) -> dict[str, Any]:
    """What ``stage`` recorded in the current scope ({} outside one, or when nothing)."""
    scope = _FIGURES.get()
    return scope.of(stage) if scope is not None else {}


def _json_safe(value: Any) -> Any:
    """Parameters as the report stores them: plain JSON values, anything else by its repr."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json_safe(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: _json_safe(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return repr(value)


def dropped_condition(df: DataFrame) -> Column:
    """True for rows a stage dropped (not those a reader rejected): what ``drop_reason`` counts."""
    condition = F.col(DROP_REASON).isNotNull()
    return condition & F.col(REJECT_REASON).isNull() if REJECT_REASON in df.columns else condition


def live_condition(df: DataFrame) -> Column:
    """True for rows still in play: not rejected by a reader and not dropped by an earlier stage."""
    condition = F.lit(True)
    if REJECT_REASON in df.columns:
        condition = condition & F.col(REJECT_REASON).isNull()
    if DROP_REASON in df.columns:
        condition = condition & F.col(DROP_REASON).isNull()
    return condition


def live_text(df: DataFrame, column: str = TEXT) -> Column:
    """The text of live rows and null elsewhere, so a UDF spends no time on rows already out."""
    return F.when(live_condition(df), F.col(column))


def require_columns(df: DataFrame, stage: str, *columns: str) -> None:
    """Fail before any Spark job when an input column is missing (PySpark's transformSchema idea)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(f"{stage} needs column(s) {missing}; the frame has {df.columns}")


@dataclass(frozen=True, kw_only=True)
class Stage:
    """Base of every stage: parameters are dataclass fields; ``__call__`` maps a frame to a frame."""

    #: True when the stage reads its input more than once (dedup's rounds, writers): the pipeline
    #: persists the annotated frame before it so nothing upstream is computed twice.
    needs_materialized_input: ClassVar[bool] = False
    #: True for stages that turn documents into something else (samples, a written dataset): they end a
    #: run, through a sink (:mod:`byod.sinks`), and have no place inside a Pipeline of document stages.
    ends_run: ClassVar[bool] = False

    @property
    def name(self) -> str:
        """The name the report uses for this stage."""
        return type(self).__name__

    def params(self) -> dict[str, Any]:
        """The stage's parameters as JSON values, stored in the report beside its counts."""
        return {f.name: _json_safe(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        """Extra report figures computed from the persisted annotated frame (override to add some)."""
        return {}

    def __call__(self, df: DataFrame) -> DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError(f"{self.name} must implement __call__")


@dataclass(frozen=True, kw_only=True)
class Filter(Stage):
    """Base of the stages that drop documents: a subclass implements :meth:`annotate` only.

    A rule over one text at a time is shorter on :class:`byod.stages.rules.RuleFilter` (implement
    ``reason(text)``) or :class:`byod.stages.rules.EditFilter` (implement ``edit(text)``), which build
    ``annotate`` for it; implement ``annotate`` directly for rules in Spark SQL or over many rows (dedup).

    Args:
        keep_all: analysis mode when used alone: keep every row and leave the reason in ``drop_reason``.
        sources: apply the rule only to documents of these sources (None: all); others pass untouched.
    """

    keep_all: bool = False
    sources: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.sources is not None:
            if isinstance(self.sources, str) or not all(isinstance(s, str) for s in self.sources):
                raise TypeError(f"{self.name}: sources must be a list of source names, got {self.sources!r}")
            object.__setattr__(self, "sources", tuple(self.sources))

    def annotate(self, df: DataFrame) -> DataFrame:  # pragma: no cover - abstract
        """Return ``df`` plus :data:`STAGE_REASON` (a reason code or null); may rewrite ``text``.

        Rows that are not live (see :func:`live_condition`) must get a null reason and keep their text.
        """
        raise NotImplementedError(f"{self.name} must implement annotate")

    def annotate_in_scope(self, df: DataFrame) -> DataFrame:
        """:meth:`annotate` on the documents of ``sources`` only: others get a null reason and keep their text.

        Rows of other sources look dropped to ``annotate``, so it neither scores nor rewrites them. The
        rule bases in :mod:`byod.stages.rules` mask by source themselves and skip this detour.
        """
        if self.sources is None:
            return self.annotate(df)
        in_scope = F.col(SOURCE).isin(list(self.sources))
        saved = F.col(DROP_REASON) if DROP_REASON in df.columns else F.lit(None).cast("string")
        hidden = (df.withColumn(_SAVED_REASON, saved)
                  .withColumn(DROP_REASON, F.when(in_scope, saved).otherwise(F.coalesce(saved, F.lit("_")))))
        return (self.annotate(hidden).withColumn(STAGE_REASON, F.when(in_scope, F.col(STAGE_REASON)))
                .withColumn(DROP_REASON, F.col(_SAVED_REASON)).drop(_SAVED_REASON))

    def fold(self, df: DataFrame) -> DataFrame:
        """Annotate and fold this stage's reason into ``drop_reason``/``drop_stage`` (first reason wins)."""
        annotated = self.annotate_in_scope(df)
        previous = F.col(DROP_REASON) if DROP_REASON in df.columns else F.lit(None).cast("string")
        previous_stage = F.col(DROP_STAGE) if DROP_STAGE in df.columns else F.lit(None).cast("string")
        reason = F.col(STAGE_REASON)
        return (
            annotated.withColumn(DROP_STAGE, F.when(previous.isNull() & reason.isNotNull(), F.lit(self.name))
                                 .otherwise(previous_stage))
            .withColumn(DROP_REASON, F.coalesce(previous, reason))
            .drop(STAGE_REASON)
        )

    def answer_columns(self) -> tuple[str, ...]:
        """Working columns a stage used alone still returns, because they hold its answer (what matched)."""
        return ()

    def __call__(self, df: DataFrame) -> DataFrame:
        folded = self.fold(df)
        if self.keep_all:
            return folded
        internal = [c for c in folded.columns if c.startswith(WORK_PREFIX) and c not in df.columns
                    and c not in self.answer_columns()]
        return folded.filter(F.col(DROP_REASON).isNull()).drop(DROP_REASON, DROP_STAGE, *internal)
