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

from pyspark.sql import DataFrame, Window
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
from byod.progress import progress_step
from byod.report import GroupCount, RunReport, summarize_counts
from byod.safepath import check_name
from byod.stages.base import (
    Filter,
    Stage,
    dropped_condition,
    figures_scope,
    live_condition,
    require_columns,
    work_dir_scope,
)
from byod.stages.fused import fold_fused, fused_runs
from byod.steps import StepStore, plan_steps

log = logging.getLogger(__name__)
#: The text length a document came in with, kept so the report can plot lengths before and after.
INPUT_CHARS = "_byod_input_chars"


def _length_bin(chars):
    """floor(log2(characters)); -1 for no text."""
    return F.when(chars.isNull(), F.lit(-1)).otherwise(F.floor(F.log2(F.greatest(chars, F.lit(1)))).cast("int"))



def drop_examples(annotated: DataFrame, *, per_reason: int = 3, chars: int = 200) -> dict[str, list[dict[str, Any]]]:
    """A few dropped documents per reason (smallest ids first, so the choice is stable), for the report.

    Triggers one small Spark job over the dropped rows only.
    """
    dropped = annotated.filter(dropped_condition(annotated))
    where = [c for c in ("url", "path") if c in annotated.columns]
    ranked = (dropped.select(DROP_REASON, ID, SOURCE, F.substring(TEXT, 1, chars).alias(TEXT),
                             F.coalesce(*[F.col(c).cast("string") for c in where]).alias(ORIGIN) if where
                             else F.lit(None).cast("string").alias(ORIGIN))
              .withColumn("_rank", F.row_number().over(Window.partitionBy(DROP_REASON).orderBy(ID)))
              .filter(F.col("_rank") <= per_reason))
    examples: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(ranked.collect(), key=lambda r: (r[DROP_REASON], r["_rank"])):
        examples.setdefault(row[DROP_REASON], []).append(
            {"id": row[ID], "source": row[SOURCE], "origin": row[ORIGIN], "text": row[TEXT]})
    return examples


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

    def __init__(self, stages: Sequence[Stage], *, fuse: bool = True):
        for stage in stages:
            if not isinstance(stage, Stage):
                raise TypeError(f"Pipeline takes byod stages, got {type(stage).__name__}")
            if stage.ends_run:
                raise TypeError(f"{stage.name} turns documents into samples and ends a run, so it cannot be a "
                                "Pipeline stage: pass the pipeline's kept documents to it (df.transform) or to "
                                "a sink (byod.sinks.PretrainMDSSink)")
        names = [s.name for s in stages]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"stage names must be unique in a pipeline: {', '.join(twice)} appear(s) more than "
                             f"once in {names}; give repeated stages parameters that tell them apart "
                             "(e.g. a classifier's score_column)")
        self.stages = list(stages)
        #: run consecutive plain text filters in one Python pass (byod.stages.fused); False: one UDF each
        self.fuse = fuse

    def __repr__(self) -> str:
        return f"Pipeline({[s.name for s in self.stages]})"

    def annotate(self, df: DataFrame) -> DataFrame:
        """All stages in annotate mode, lazily: every row stays, with the reason that dropped it."""
        require_columns(df, "Pipeline", ID, TEXT, SOURCE)
        df = with_bookkeeping(df)
        for run in self._runs(self.stages):
            df = apply_stage(run[0], df) if len(run) == 1 else fold_fused(run, df)
        return df

    def _runs(self, stages: Sequence[Stage]) -> list[list[Stage]]:
        return fused_runs(stages) if self.fuse else [[stage] for stage in stages]

    def __call__(self, df: DataFrame) -> DataFrame:
        annotated = self.annotate(df)
        return annotated.filter(live_condition(annotated)).select(*output_columns(annotated))

    def run(self, df: DataFrame, *, work_dir: str, quarantine_dir: str | None = None,
            report: RunReport | None = None, progress: bool | None = None, resume: bool = False) -> PipelineResult:
        """Run with persistence and counting; rejected records go to ``quarantine_dir/<source>/``.

        Triggers Spark jobs: one write per persisted step, one count, one write per quarantined source.
        With ``resume``, the latest step an interrupted attempt finished in ``work_dir`` is read back
        instead of recomputed (see :mod:`byod.steps`).
        """
        require_columns(df, "Pipeline", ID, TEXT, SOURCE)
        spark = df.sparkSession
        store = StepStore(spark, work_dir, report, progress)
        steps = plan_steps(self.stages)
        current = with_bookkeeping(df).withColumn(INPUT_CHARS, F.length(TEXT))
        found = store.last_finished(steps) if resume else None
        if found is not None:
            current = store.reuse(steps[found[0]], found[1])
        with work_dir_scope(work_dir), figures_scope():
            for step in steps[found[0] + 1 if found else 0:]:
                for run in self._runs(step.stages):
                    current = self._apply(run[0], current, store) if len(run) == 1 else fold_fused(run, current)
                current = store.persist(step, current)
            if len({n for _, n in store.rows}) != 1:
                raise AccountingError(f"a stage changed the number of documents between steps: {store.rows}")
            annotated = current
            counts = self._count(annotated, store.rows[-1][1])
            skipped = {s.name for step in steps[: found[0] + 1] for s in step.stages} if found else set()
            details = [{"name": s.name, "params": s.params(),
                        "stats": {"reused": True} if s.name in skipped else s.stats(annotated)} for s in self.stages]
        if quarantine_dir is not None:
            self._quarantine(annotated, counts, quarantine_dir)
        kept = annotated.filter(live_condition(annotated)).select(*output_columns(annotated))
        if report is not None:
            report.counts = counts
            report.stage_details = details
            report.reused_steps = list(store.reused)
        return PipelineResult(kept=kept, annotated=annotated, counts=counts, stage_details=details)

    @staticmethod
    def _apply(stage: Stage, current: DataFrame, store: StepStore) -> DataFrame:
        """One stage; those that run Spark jobs while building their plan (dedup's rounds) are timed here."""
        started = time.perf_counter()
        with progress_step(store.spark, stage.name, total_documents=store.rows[-1][1] if store.rows else None,
                           enabled=store.progress if stage.needs_materialized_input else False):
            out = apply_stage(stage, current)
        if stage.needs_materialized_input and store.report is not None:
            store.report.time_step(f"stage-{stage.name}", [stage.name], time.perf_counter() - started)
        return out

    def _count(self, annotated: DataFrame, persisted: int) -> dict[str, Any]:
        """One pass: counts per (source, stage, reason) and per power-of-two text length, for the plots."""
        rows = (annotated.groupBy(SOURCE, DROP_STAGE, DROP_REASON, REJECT_REASON,
                                  _length_bin(F.col(INPUT_CHARS)).alias("input_bin"),
                                  _length_bin(F.length(TEXT)).alias("final_bin"))
                .count().collect())
        groups = [GroupCount(r[SOURCE] or "", r[DROP_STAGE], r[DROP_REASON], r[REJECT_REASON], int(r["count"]),
                             int(r["input_bin"]), int(r["final_bin"])) for r in rows]
        counts = summarize_counts(groups, [s.name for s in self.stages])
        if counts["totals"]["in"] != persisted:
            raise AccountingError(f"counted {counts['totals']['in']} documents, persisted {persisted}")
        for figures in counts["stages"]:
            log.info("stage %-24s in %8d -> out %8d  (dropped %d)", figures["name"], figures["in"], figures["out"],
                     figures["dropped"])
        return counts

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
             .write.mode("overwrite").json(f"{quarantine_dir.rstrip('/')}/{check_name(source, 'source')}"))
