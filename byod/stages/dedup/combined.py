"""``Dedup``: the one-line entry that chains exact, URL and MinHash dedup as one filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from byod.columns import STAGE_REASON
from byod.stages.base import Filter, live_condition
from byod.stages.dedup.exact import ExactDedup, UrlDedup
from byod.stages.dedup.minhash import MinHashDedup
from byod.stages.dedup.survivor import make_work_dir, validate_priority

_REASONS = ("_byod_dedup_reason_exact", "_byod_dedup_reason_url", "_byod_dedup_reason_near")


@dataclass(frozen=True, kw_only=True)
class Dedup(Filter):
    """Exact, then URL, then near-duplicate dedup; each step sees only the rows the earlier ones kept.

    A step is on with ``True`` (its defaults, with this stage's ``priority``), off with ``False``, or
    configured by passing the stage itself (``fuzzy=MinHashDedup(bands=20, rows=10)``). When the fuzzy
    step follows another, the frame is written once to the work folder so the MinHash steps, which
    read their input several times, do not recompute the exact step's shuffle.

    Args:
        exact: :class:`ExactDedup` on normalized text.
        fuzzy: :class:`MinHashDedup` near duplicates.
        url: :class:`UrlDedup` (needs a ``url`` column).
        priority: survivor rule override for steps given as ``True`` (see :class:`ExactDedup`);
            ``None``: newest ``timestamp`` (where the column exists), then longest text, then smallest ``id``.
        work_dir: checkpoint folder (see :class:`MinHashDedup`); ``None``: a temporary folder.

    Every step keeps one survivor per duplicate group by the same rule; ``params.survivor`` in the
    report names it per step (``-name``: descending). Rows sharing an ``id`` are duplicates in every step.

    Reason codes: ``dedup.exact_duplicate``, ``dedup.url_duplicate``, ``dedup.near_duplicate``.
    """

    exact: bool | ExactDedup = True
    fuzzy: bool | MinHashDedup = True
    url: bool | UrlDedup = False
    priority: tuple[str, ...] | None = None
    work_dir: str | None = None
    needs_materialized_input: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for field, kind in (("exact", ExactDedup), ("fuzzy", MinHashDedup), ("url", UrlDedup)):
            if not isinstance(getattr(self, field), (bool, kind)):
                raise TypeError(f"{self.name}.{field} must be a bool or a {kind.__name__}; "
                                f"got {getattr(self, field)!r}")
        validate_priority(self.priority, self.name)
        if not (self.exact or self.fuzzy or self.url):
            raise ValueError(f"{self.name} has every step off; turn on exact, fuzzy or url")

    def steps(self) -> list[ExactDedup | UrlDedup | MinHashDedup]:
        """The configured steps, in the order they run."""
        made: list[Any] = []
        if self.exact:
            made.append(self.exact if isinstance(self.exact, ExactDedup) else ExactDedup(priority=self.priority))
        if self.url:
            made.append(self.url if isinstance(self.url, UrlDedup) else UrlDedup(priority=self.priority))
        if self.fuzzy:
            made.append(self.fuzzy if isinstance(self.fuzzy, MinHashDedup)
                        else MinHashDedup(priority=self.priority, work_dir=self.work_dir))
        return made

    def annotate(self, df: DataFrame) -> DataFrame:
        live = live_condition(df)
        out, reasons = df, []
        for step in self.steps():
            if isinstance(step, MinHashDedup) and reasons:
                out = self._checkpoint(out)
            still = live
            for reason in reasons:
                still = still & F.col(reason).isNull()
            column = next(c for kind, c in zip((ExactDedup, UrlDedup, MinHashDedup), _REASONS) if isinstance(step, kind))
            out = step.annotate_live(out, still).withColumnRenamed(STAGE_REASON, column)
            reasons.append(column)
        return out.withColumn(STAGE_REASON, F.coalesce(*[F.col(r) for r in reasons])).drop(*reasons)

    def _checkpoint(self, df: DataFrame) -> DataFrame:
        """Write the frame and read it back: later steps read parquet, not the earlier shuffles."""
        path = make_work_dir(df.sparkSession, self.work_dir, "dedup-input")
        df.write.parquet(path)
        return df.sparkSession.read.parquet(path)

    def params(self) -> dict[str, Any]:
        steps = self.steps()
        kinds = ((ExactDedup, "exact"), (UrlDedup, "url"), (MinHashDedup, "near"))
        rules = {name: step.survivor() for step in steps for kind, name in kinds if isinstance(step, kind)}
        return {**super().params(), "survivor": rules}

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for step in self.steps():
            merged.update(step.stats(annotated))
        return merged
