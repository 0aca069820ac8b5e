"""Pipeline: apply stages, persist the annotated frame once, count by reason in one pass, keep the rest.

Filters annotate instead of dropping, so one persisted frame holds every document with the first
reason that dropped it. Counting is then a single ``groupBy`` over that frame: no stage's work is
recomputed to learn how many documents it removed. Stages that read their input more than once
(dedup) get a persisted input of their own, so nothing upstream runs twice either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from byod.columns import (
    BOOKKEEPING_COLUMNS,
    DROP_REASON,
    DROP_STAGE,
    ID,
    ORIGIN,
    RAW,
    REJECT_REASON,
    SOURCE,
    TEXT,
    WORK_PREFIX,
)
from byod.errors import AccountingError, SchemaError
from byod.report import GroupCount, RunReport, summarize_counts
from byod.stages.base import Filter, Stage, live_condition, require_columns, work_dir_scope

log = logging.getLogger(__name__)
#: The text length a document came in with, kept so the report can plot lengths before and after.
INPUT_CHARS = "_byod_input_chars"


def _length_bin(chars):
    """floor(log2(characters)); -1 for no text."""
    return F.when(chars.isNull(), F.lit(-1)).otherwise(F.floor(F.log2(F.greatest(chars, F.lit(1)))).cast("int"))



def with_bookkeeping(df: DataFrame) -> DataFrame:
    """Add the bookkeeping columns a reader did not set, as nulls, so every frame has one shape."""
    for column in BOOKKEEPING_COLUMNS:
        if column not in df.columns:
            df = df.withColumn(column, F.lit(None).cast("string"))
    return df


def output_columns(df: DataFrame) -> list[str]:
    """The columns a kept document carries on: no bookkeeping, no ``_byod_`` working columns."""
    return [c for c in df.columns if c not in BOOKKEEPING_COLUMNS and not c.startswith(WORK_PREFIX)]


def apply_stage(stage: Stage, df: DataFrame) -> DataFrame:
    """One stage in annotate mode: filters fold their reason, other stages map the frame."""
    out = stage.fold(df) if isinstance(stage, Filter) else stage(df)
    for column in (ID, DROP_REASON, REJECT_REASON):
        if column not in out.columns:
            raise SchemaError(f"{stage.name} removed the bookkeeping column '{column}'")
    return out


@dataclass
class PipelineResult:
    """What a run hands on: the kept documents (read from the persisted frame) and the figures."""

    kept: DataFrame
    annotated: DataFrame
    counts: dict[str, Any]
    stage_details: list[dict[str, Any]] = field(default_factory=list)


class Pipeline:
    """An ordered list of stages; ``df.transform(pipeline)`` or :meth:`run` for counted, persisted runs."""

    def __init__(self, stages: Sequence[Stage]):
        for stage in stages:
            if not isinstance(stage, Stage):
                raise TypeError(f"Pipeline takes byod stages, got {type(stage).__name__}")
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique in a pipeline, got {names}")
        self.stages = list(stages)

    def __repr__(self) -> str:
        return f"Pipeline({[s.name for s in self.stages]})"

    def annotate(self, df: DataFrame) -> DataFrame:
        """All stages in annotate mode, lazily: every row stays, with the reason that dropped it."""
        require_columns(df, "Pipeline", ID, TEXT, SOURCE)
        df = with_bookkeeping(df)
        for stage in self.stages:
            df = apply_stage(stage, df)
        return df

    def __call__(self, df: DataFrame) -> DataFrame:
        annotated = self.annotate(df)
        return annotated.filter(live_condition(annotated)).select(*output_columns(annotated))

    def run(self, df: DataFrame, *, work_dir: str, quarantine_dir: str | None = None,
            report: RunReport | None = None) -> PipelineResult:
        """Run with persistence and counting; rejected records go to ``quarantine_dir/<source>/``.

        Triggers Spark jobs: one write per persisted step, one count, one write per quarantined source.
        """
        require_columns(df, "Pipeline", ID, TEXT, SOURCE)
        spark = df.sparkSession
        current = with_bookkeeping(df).withColumn(INPUT_CHARS, F.length(TEXT))
        pending: list[str] = []
        step = 0
        rows_at_steps: list[tuple[str, int]] = []

        def persist(frame: DataFrame, label: str) -> DataFrame:
            nonlocal step, pending
            path = f"{work_dir.rstrip('/')}/step-{step:02d}-{label}"
            started = time.perf_counter()
            frame.write.mode("overwrite").parquet(path)
            seconds = time.perf_counter() - started
            rows = spark.read.parquet(path).count()
            log.info("step %d (%s): %d documents in %.1f s, %.0f documents/s", step, ", ".join(pending) or "read",
                     rows, seconds, rows / seconds if seconds > 0 else 0.0)
            if report is not None:
                report.time_step(f"step-{step:02d}-{label}", pending or ["read"], seconds)
            step += 1
            pending = []
            rows_at_steps.append((label, rows))
            return spark.read.parquet(path)

        with work_dir_scope(work_dir):
            for stage in self.stages:
                if stage.needs_materialized_input and (pending or step == 0):
                    current = persist(current, f"before-{stage.name}")
                started = time.perf_counter()
                current = apply_stage(stage, current)
                eager = time.perf_counter() - started
                if stage.needs_materialized_input and report is not None:
                    # such stages run Spark jobs while building their plan (dedup's rounds): time them here
                    report.time_step(f"stage-{stage.name}", [stage.name], eager)
                pending.append(stage.name)
            annotated = persist(current, "annotated")
        sizes = {n for _, n in rows_at_steps}
        if len(sizes) != 1:
            raise AccountingError(f"a stage changed the number of documents between steps: {rows_at_steps}")

        # One pass: counts per (source, stage, reason) and per power-of-two text length, for the plots.
        rows = (annotated.groupBy(SOURCE, DROP_STAGE, DROP_REASON, REJECT_REASON,
                                  _length_bin(F.col(INPUT_CHARS)).alias("input_bin"),
                                  _length_bin(F.length(TEXT)).alias("final_bin"))
                .count().collect())
        groups = [GroupCount(r[SOURCE] or "", r[DROP_STAGE], r[DROP_REASON], r[REJECT_REASON], int(r["count"]),
                             int(r["input_bin"]), int(r["final_bin"])) for r in rows]
        counts = summarize_counts(groups, [s.name for s in self.stages])
        if counts["totals"]["in"] != rows_at_steps[-1][1]:
            raise AccountingError(f"counted {counts['totals']['in']} documents, persisted {rows_at_steps[-1][1]}")
        for figures in counts["stages"]:
            log.info("stage %-24s in %8d -> out %8d  (dropped %d)", figures["name"], figures["in"], figures["out"],
                     figures["dropped"])
        details = [{"name": s.name, "params": s.params(), "stats": s.stats(annotated)} for s in self.stages]
        if quarantine_dir is not None:
            self._quarantine(annotated, counts, quarantine_dir)
        kept = annotated.filter(live_condition(annotated)).select(*output_columns(annotated))
        if report is not None:
            report.counts = counts
            report.stage_details = details
        return PipelineResult(kept=kept, annotated=annotated, counts=counts, stage_details=details)

    @staticmethod
    def _quarantine(annotated: DataFrame, counts: dict[str, Any], quarantine_dir: str) -> None:
        """Rejected records, with reason and origin, as JSON lines under ``<dir>/<source>/``."""
        for source, figures in counts["sources"].items():
            if figures["rejected"] == 0:
                continue
            (annotated.filter(F.col(REJECT_REASON).isNotNull() & (F.col(SOURCE) == source))
             .select(ID, SOURCE, REJECT_REASON, ORIGIN, RAW)
             .orderBy(ORIGIN, ID)
             .coalesce(1)
             .write.mode("overwrite").json(f"{quarantine_dir.rstrip('/')}/{source}"))
