"""Persisted steps of a pipeline run: where a run writes its intermediate frames, and how a resumed run
finds the ones an interrupted attempt finished.

A pipeline's stages fall into steps: a step ends before each stage that reads its input more than once
(dedup) and after the last stage. Each step's frame is written as Parquet under the run's work folder,
then a small ``_byod_step.json`` marker names the stages it covers and its row count. A resumed run
reuses the last step whose marker matches, so it neither repeats that work nor trusts a half-written
folder (no marker, no reuse).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fsspec.core import url_to_fs
from pyspark.sql import DataFrame, SparkSession

from byod.progress import progress_step
from byod.report import RunReport
from byod.stages.base import Stage

log = logging.getLogger(__name__)

MARKER = "_byod_step.json"


@dataclass
class Step:
    """One persisted frame: its folder name and the stages whose work it holds."""

    number: int
    label: str
    stages: list[Stage]

    @property
    def name(self) -> str:
        return f"step-{self.number:02d}-{self.label}"

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages] or ["read"]


def plan_steps(stages: Sequence[Stage]) -> list[Step]:
    """Split ``stages`` into persisted steps (the same boundaries on every run of the same stages)."""
    steps: list[Step] = []
    pending: list[Stage] = []
    for stage in stages:
        if stage.needs_materialized_input and (pending or not steps):
            steps.append(Step(len(steps), f"before-{stage.name}", pending))
            pending = []
        pending.append(stage)
    steps.append(Step(len(steps), "annotated", pending))
    return steps


@dataclass
class StepStore:
    """Writes, counts and (when resuming) finds the persisted steps of one run under ``work_dir``."""

    spark: SparkSession
    work_dir: str
    report: RunReport | None = None
    progress: bool | None = None
    rows: list[tuple[str, int]] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)

    def _path(self, step: Step) -> str:
        return f"{self.work_dir.rstrip('/')}/{step.name}"

    def finished(self, step: Step) -> dict[str, Any] | None:
        """The marker of a step an earlier attempt completed with the same stages, else None."""
        fs, path = url_to_fs(f"{self._path(step)}/{MARKER}")
        try:
            with fs.open(path, "rb") as handle:
                marker = json.loads(handle.read().decode("utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return marker if marker.get("stages") == step.stage_names else None

    def reuse(self, step: Step, marker: dict[str, Any]) -> DataFrame:
        log.info("%s: reusing %d documents persisted by an earlier attempt", step.name, marker["rows"])
        self.rows.append((step.label, int(marker["rows"])))
        self.reused.append(step.name)
        if self.report is not None:
            self.report.time_step(step.name, step.stage_names, 0.0, reused=True)
        return self.spark.read.parquet(self._path(step))

    def persist(self, step: Step, frame: DataFrame) -> DataFrame:
        """Write the step's frame, count it, mark it finished; returns the frame read back."""
        path = self._path(step)
        started = time.perf_counter()
        with progress_step(self.spark, f"step {step.number} ({', '.join(step.stage_names)})",
                           total_documents=self.rows[-1][1] if self.rows else None, enabled=self.progress):
            frame.write.mode("overwrite").parquet(path)
        seconds = time.perf_counter() - started
        rows = self.spark.read.parquet(path).count()
        log.info("step %d (%s): %d documents in %.1f s, %.0f documents/s", step.number, ", ".join(step.stage_names),
                 rows, seconds, rows / seconds if seconds > 0 else 0.0)
        fs, folder = url_to_fs(path)
        with fs.open(f"{folder}/{MARKER}", "wb") as handle:
            handle.write(json.dumps({"stages": step.stage_names, "rows": rows}).encode("utf-8"))
        if self.report is not None:
            self.report.time_step(step.name, step.stage_names, seconds)
        self.rows.append((step.label, rows))
        return self.spark.read.parquet(path)

    def last_finished(self, steps: list[Step]) -> tuple[int, dict[str, Any]] | None:
        """The index and marker of the latest step an earlier attempt finished, if any."""
        for index in range(len(steps) - 1, -1, -1):
            marker = self.finished(steps[index])
            if marker is not None:
                return index, marker
        return None
