"""What a user sees of a run: a live status line per step while it works, a one-screen summary at the end.

The status line is drawn from the driver: a background thread polls Spark's status tracker (classic
sessions only; Spark Connect has no tracker, so there it shows the step and its elapsed time) and
rewrites one terminal line every few seconds. It is off when the stream is not a terminal or ``CI``
is set, so logs and CI output stay clean.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

log = logging.getLogger(__name__)

#: A source that loses more than this share of its documents to a single reason is named in the summary.
LOSS_SHARE = 0.9
#: Seconds between two redraws of the status line.
REFRESH_SECONDS = 2.0
_CLEAR = "\r\x1b[2K"


@dataclass
class StepStatus:
    """One redraw of the status line: the step, its Spark tasks so far, and the time it has taken."""

    label: str
    elapsed: float
    tasks_done: int = 0
    tasks_total: int = 0
    total_documents: int | None = None

    def text(self) -> str:
        """``label  tasks 3/8  ~1,200/3,200 documents  12 s`` (documents estimated from the task share)."""
        parts = [self.label]
        if self.tasks_total:
            parts.append(f"tasks {self.tasks_done:,}/{self.tasks_total:,}")
            if self.total_documents is not None:
                done = round(self.total_documents * self.tasks_done / self.tasks_total)
                parts.append(f"~{done:,}/{self.total_documents:,} documents")
        elif self.total_documents is not None:
            parts.append(f"{self.total_documents:,} documents")
        parts.append(f"{self.elapsed:,.0f} s")
        return "  ".join(parts)


def progress_enabled(stream: TextIO, enabled: bool | None = None) -> bool:
    """On when asked; when ``None``: ``BYOD_PROGRESS`` (0/1) if set, else only on a terminal outside CI."""
    if enabled is not None:
        return enabled
    setting = os.environ.get("BYOD_PROGRESS")
    if setting is not None:
        return setting.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


def status_tracker(spark: Any) -> Any | None:
    """Spark's status tracker on a classic session; None on Spark Connect or where the context is off-limits."""
    if type(spark).__module__.startswith("pyspark.sql.connect"):
        return None
    try:
        return spark.sparkContext.statusTracker()
    except Exception:  # noqa: BLE001 - shared clusters refuse sparkContext; the line then shows time only
        return None


class _TaskCounter:
    """Tasks done/total over every stage seen active since the step began (finished stages keep their count)."""

    def __init__(self, tracker: Any):
        self.tracker = tracker
        self.before = set(tracker.getActiveStageIds()) if tracker is not None else set()
        self.stages: dict[int, tuple[int, int]] = {}

    def poll(self) -> tuple[int, int]:
        if self.tracker is None:
            return 0, 0
        try:
            for stage_id in {*self.tracker.getActiveStageIds(), *self.stages} - self.before:
                info = self.tracker.getStageInfo(stage_id)
                if info is not None:
                    self.stages[stage_id] = (info.numCompletedTasks, info.numTasks)
        except Exception as error:  # noqa: BLE001 - a display must never fail the run
            log.debug("status tracker unavailable: %s", error)
            self.tracker = None
        return sum(d for d, _ in self.stages.values()), sum(t for _, t in self.stages.values())


class _ClearLine(logging.Filter):
    """Wipes the status line before a log record is written to the same stream, so the two never mix."""

    def __init__(self, stream: TextIO, lock: threading.Lock):
        super().__init__()
        self.stream, self.lock = stream, lock

    def filter(self, record: logging.LogRecord) -> bool:
        with self.lock:
            self.stream.write(_CLEAR)
        return True


@contextmanager
def progress_step(spark: Any, label: str, *, total_documents: int | None = None, enabled: bool | None = None,
                  stream: TextIO | None = None, interval: float = REFRESH_SECONDS) -> Iterator[None]:
    """Show ``label``, Spark tasks done/total and elapsed seconds on one terminal line while the body runs.

    Args:
        spark: the session the step runs on (classic: tasks shown; Connect: elapsed time only).
        label: what the step is, e.g. ``"step 0: C4QualityFilter, GopherQualityFilter"``.
        total_documents: documents the step handles, when known; an estimate of those done is shown.
        enabled: force on/off; None: on a terminal outside CI (see :func:`progress_enabled`).
        stream: where to draw (default ``sys.stderr``).
        interval: seconds between redraws.
    """
    stream = stream or sys.stderr
    if not progress_enabled(stream, enabled):
        yield
        return
    started = time.monotonic()
    counter = _TaskCounter(status_tracker(spark))
    stop, lock = threading.Event(), threading.Lock()
    clear = _ClearLine(stream, lock)
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "stream", None) is stream]
    for handler in handlers:
        handler.addFilter(clear)

    def draw() -> None:
        while not stop.wait(interval):
            done, total = counter.poll()
            line = StepStatus(label, time.monotonic() - started, done, total, total_documents).text()
            width = shutil.get_terminal_size((100, 20)).columns - 1
            with lock:
                stream.write(_CLEAR + line[:width])
                stream.flush()

    thread = threading.Thread(target=draw, name="byod-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)
        for handler in handlers:
            handler.removeFilter(clear)
        with lock:
            stream.write(_CLEAR)
            stream.flush()


def heavy_losses(report: dict[str, Any], share: float = LOSS_SHARE) -> list[tuple[str, str, int, int]]:
    """(source, reason, lost, in) for every source that lost more than ``share`` of its documents to one reason."""
    found = []
    for name, figures in report.get("sources", {}).items():
        documents = figures.get("in", 0)
        reasons = {**figures.get("dropped_by_reason", {}), **figures.get("rejected_by_reason", {})}
        for reason, count in reasons.items():
            if documents and count / documents > share:
                found.append((name, reason, int(count), int(documents)))
    return found


def packing_remainder(report: dict[str, Any]) -> tuple[int, int, int] | None:
    """(tokens dropped as the last partial sample of each partition, tokens tokenized, documents affected)."""
    packing = (report.get("output") or {}).get("packing") or {}
    if not packing.get("tokens_in"):
        return None
    return (int(packing.get("remainder_tokens_dropped", 0)), int(packing["tokens_in"]),
            int(packing.get("remainder_docs_affected", 0)))


def packing_text(report: dict[str, Any]) -> str | None:
    """One sentence on the packing remainder, or None when the run packed nothing."""
    found = packing_remainder(report)
    if found is None:
        return None
    dropped, tokens_in, docs = found
    max_seq_len = ((report.get("run") or {}).get("config") or {}).get("tokenize", {}).get("max_seq_len")
    length = f" of {max_seq_len:,} tokens" if isinstance(max_seq_len, int) else ""
    return (f"packing remainder: {dropped:,} of {tokens_in:,} tokens ({dropped / tokens_in:.1%}) dropped as the "
            f"unfilled last sample{length} of each partition ({docs:,} documents cut)")


def summary_text(report: dict[str, Any], top: int = 5, loss_share: float = LOSS_SHARE) -> str:
    """Documents in, kept, top drop reasons, tokens written, packing remainder, heavy losses, output, wall time."""
    totals = report["totals"]
    run = report.get("run", {})
    lines = [
        f"byod {run.get('job', '?')}: {totals['in']:,} documents in -> {totals['kept']:,} kept, "
        f"{totals['dropped']:,} dropped, {totals['rejected']:,} rejected",
    ]
    for reason, count in list(report.get("dropped_by_reason", {}).items())[:top]:
        lines.append(f"  dropped {count:>8,}  {reason}")
    for reason, count in list(report.get("rejected_by_reason", {}).items())[:top]:
        lines.append(f"  rejected {count:>7,}  {reason}")
    output = report.get("output", {})
    if output.get("tokens") is not None:
        lines.append(f"  tokens written: {output['tokens']:,} in {output.get('samples', 0):,} samples")
    packing = packing_text(report)
    if packing is not None:
        lines.append(f"  {packing}")
    for source, reason, lost, documents in heavy_losses(report, loss_share):
        lines.append(f"  warning: source '{source}' lost {lost:,} of {documents:,} documents "
                     f"({lost / documents:.0%}) to {reason}")
    output_path = run.get("config", {}).get("output", "?")
    lines.append(f"  output: {output_path}   wall time: {run.get('wall_seconds', 0):.1f} s")
    return "\n".join(lines)
