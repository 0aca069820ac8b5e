"""Consecutive text filters of a pipeline in one Python pass per batch, with the same answers as one by one.

Each RuleFilter or EditFilter alone is one pandas UDF, and Spark runs chained UDFs that read each
other's output as separate Python evaluations: every stage ships the text to a Python worker of its own
and back (a c4_arxiv chain of Normalize, C4 and two Gopher filters held 8 Python workers on 2 cores).
A run of such stages instead ships each live text once and applies the rules in order, first reason
wins, an edit feeding the next rule, exactly as the stages would one after the other: the text a
dropped document keeps is the text the dropping rule saw, and ``drop_stage`` names that stage.

Only stages that use the bases' own plumbing are fused (no score columns, no overridden ``annotate``
or ``fold``, the ``text`` column); anything else runs as itself between fused runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf

from byod.columns import DROP_REASON, DROP_STAGE, SOURCE, TEXT, WORK_PREFIX
from byod.stages.base import Filter, Stage, live_condition
from byod.stages.rules import EditFilter, RuleFilter

_RESULT = f"{WORK_PREFIX}fused_result"
_RESULT_TYPE = "text string, reason string, stage int"


def fusable(stage: Stage) -> bool:
    """True when ``stage`` is a plain rule or edit over ``text`` whose base does all its Spark work."""
    kind = type(stage)
    if not isinstance(stage, (RuleFilter, EditFilter)) or stage.text_column != TEXT:
        return False
    base = RuleFilter if isinstance(stage, RuleFilter) else EditFilter
    if isinstance(stage, RuleFilter) and stage.score_columns:
        return False
    return (kind.annotate is base.annotate and kind.fold is Filter.fold
            and kind.annotate_in_scope is base.annotate_in_scope and kind.stats is Stage.stats)


def fused_runs(stages: Sequence[Stage]) -> list[list[Stage]]:
    """``stages`` in order, cut into runs: two or more fusable stages together, anything else alone."""
    runs: list[list[Stage]] = []
    for stage in stages:
        if runs and fusable(stage) and all(fusable(s) for s in runs[-1]):
            runs[-1].append(stage)
        else:
            runs.append([stage])
    return runs


Answer = tuple[str | None, str | None, int | None]


def _apply_in_order(stages: Sequence[RuleFilter | EditFilter], text: str, source: str | None) -> Answer:
    """``(changed text or None, reason or None, index of the dropping stage or None)`` for one live text."""
    running = text
    for index, stage in enumerate(stages):
        if stage.sources is not None and source not in stage.sources:
            continue
        if isinstance(stage, RuleFilter):
            reason = stage.reason(running)
        else:
            edited, reason = stage.edit(running)
            if reason is None and edited is not None:
                running = edited
        if reason is not None:
            return (running if running is not text else None), reason, index
    return (running if running is not text else None), None, None


def _fused_udf(stages: Sequence[RuleFilter | EditFilter]):
    chain = tuple(stages)

    @pandas_udf(_RESULT_TYPE)
    def apply(texts: pd.Series, live: pd.Series, sources: pd.Series) -> pd.DataFrame:
        rows: list[Answer] = [
            _apply_in_order(chain, text, source) if in_play and text is not None else (None, None, None)
            for text, in_play, source in zip(texts, live, sources)]
        frame = pd.DataFrame.from_records(rows, columns=["text", "reason", "stage"]) if rows else \
            pd.DataFrame(columns=["text", "reason", "stage"])
        frame["stage"] = frame["stage"].astype("Int32")
        return frame

    return apply


def fold_fused(stages: Sequence[Stage], df: DataFrame) -> DataFrame:
    """What ``stage.fold`` one after the other gives, from one pandas UDF over the live texts."""
    filters = [s for s in stages if isinstance(s, (RuleFilter, EditFilter))]
    for stage in filters:
        stage.text_in_play(df)  # each stage's schema checks, before any Spark job
    needs_source = any(s.sources is not None for s in filters)
    source: Column = F.col(SOURCE) if needs_source else F.lit(None).cast("string")
    live = live_condition(df)
    result = _fused_udf(filters)(F.col(TEXT), F.coalesce(live, F.lit(False)), source)
    names = F.array(*[F.lit(s.name) for s in filters])
    previous = F.col(DROP_REASON) if DROP_REASON in df.columns else F.lit(None).cast("string")
    previous_stage = F.col(DROP_STAGE) if DROP_STAGE in df.columns else F.lit(None).cast("string")
    out = df.withColumn(_RESULT, result)
    reason, new_text = F.col(_RESULT)["reason"], F.col(_RESULT)["text"]
    dropping = F.element_at(names, F.col(_RESULT)["stage"] + 1)
    return (out.withColumns({
        TEXT: F.coalesce(new_text, F.col(TEXT)),
        DROP_STAGE: F.when(previous.isNull() & reason.isNotNull(), dropping).otherwise(previous_stage),
        DROP_REASON: F.coalesce(previous, reason),
    }).drop(_RESULT))
