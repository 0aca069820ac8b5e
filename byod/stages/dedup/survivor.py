"""Which copy of a duplicate group survives (a stable rule, never partition order), and the report.

The default rule is the one users expect of a crawl: the newest ``timestamp`` where the column exists,
then the longest text (the most complete copy), then the smallest ``id``; ``priority`` overrides it.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import MapType, StringType

from byod.columns import DROP_REASON, ID, STAGE_REASON, TEXT, TIMESTAMP, WORK_PREFIX
from byod.stages.base import current_work_dir, record_figures, recorded_figures

log = logging.getLogger(__name__)

#: Clusters listed in the report, largest first, and ids shown per cluster.
TOP_CLUSTERS = 5
EXAMPLE_IDS = 3
#: How the default survivor rule names the text length in the report.
TEXT_LENGTH = "length(text)"
#: Columns that name a cluster's surviving document in the report, and how much of each is kept.
NAME_COLUMNS = ("url", "title")
NAME_CHARS = 200


def validate_priority(priority: tuple[str, ...] | None, stage: str) -> None:
    """``priority`` is None (the default rule) or a tuple of column names, ``-name`` meaning descending."""
    if priority is None:
        return
    if not isinstance(priority, tuple) or not all(isinstance(p, str) and p.lstrip("-") for p in priority):
        raise TypeError(f"{stage}.priority must be None or a tuple of column names such as ('-timestamp',); "
                        f"got {priority!r}")


def priority_columns(priority: tuple[str, ...] | None) -> list[str]:
    """The input columns an explicit priority reads (the default rule needs none: it reads what exists)."""
    return [p.lstrip("-") for p in priority or ()]


def survivor_rule(columns: Sequence[str] | None, priority: tuple[str, ...] | None) -> list[str]:
    """The survivor order in words, for the report: ``-name`` descending, then ``id`` ascending.

    ``columns``: the frame's columns (None before a run: the rule as configured, timestamp included).
    """
    if priority is not None:
        return [*priority, ID]
    has_timestamp = columns is None or TIMESTAMP in columns
    return [*([f"-{TIMESTAMP}"] if has_timestamp else []), f"-{TEXT_LENGTH}", ID]


def _newest_first(df: DataFrame) -> Column:
    """``timestamp`` newest first; strings are parsed (ISO-8601 and Spark's formats), unparseable = missing."""
    kind = df.schema[TIMESTAMP].dataType
    value = F.try_to_timestamp(F.col(TIMESTAMP)) if isinstance(kind, StringType) else F.col(TIMESTAMP)
    return value.desc_nulls_last()


def row_tiebreak(df: DataFrame) -> Column:
    """A content hash of a row's other columns: orders rows that share an ``id`` (a file read twice).

    Rows with one id have the same source, key and text; any other column that differs (a crawl
    time, a path) decides, by hash, so the choice never depends on partitioning. Fully equal rows
    are interchangeable. ``text`` (equal by construction), working columns and maps (which Spark
    cannot hash) are left out.
    """
    parts = [F.col(f.name) for f in df.schema.fields
             if f.name != TEXT and not f.name.startswith(WORK_PREFIX) and not isinstance(f.dataType, MapType)]
    return F.xxhash64(*parts) if parts else F.lit(0)


def survivor_order(df: DataFrame, priority: tuple[str, ...] | None) -> list[Column]:
    """Sort order of a duplicate group; the first row survives. Never partition order.

    Default (``priority`` None): newest ``timestamp`` where the column exists (nulls last), then the
    longest text, then the smallest ``id``. An explicit ``priority`` replaces the first two: its columns
    (``-name`` descending, nulls last), then the smallest ``id``. Rows sharing an id: :func:`row_tiebreak`.
    """
    if priority is None:
        order = [_newest_first(df)] if TIMESTAMP in df.columns else []
        order.append(F.length(F.col(TEXT)).desc_nulls_last())
    else:
        order = [F.col(p[1:]).desc_nulls_last() if p.startswith("-") else F.col(p).asc_nulls_last()
                 for p in priority]
    return [*order, F.col(ID).asc(), row_tiebreak(df).asc()]


class SurvivorReport:
    """Mixin of the dedup stages: ``params()`` also names the survivor rule (the one applied, after a run)."""

    priority: tuple[str, ...] | None

    def note_columns(self, df: DataFrame) -> None:
        """Record the rule applied to this frame in the run's figures: whether ``timestamp`` took part."""
        record_figures(self, survivor=survivor_rule(df.columns, self.priority))

    def survivor(self) -> list[str]:
        """The survivor order: ``-name`` descending, names ascending; the first row of a group survives.

        The rule applied in the current run when one is in scope, else the rule as configured."""
        return recorded_figures(self).get("survivor") or survivor_rule(None, self.priority)

    def params(self) -> dict[str, Any]:
        return {**super().params(), "survivor": self.survivor()}  # type: ignore[misc]


def make_work_dir(spark: SparkSession, base: str | None, kind: str) -> str:
    """A fresh folder for one run's parquet checkpoints: under ``base``, else under ``spark.local.dir``
    the running pipeline's work folder, else ``spark.local.dir`` (first entry) or the system temp folder.
    On a cluster, pass a ``base`` all executors can read (a pipeline run's work folder is one)."""
    if base is None and current_work_dir() is not None:
        base = f"{current_work_dir()}/dedup"
    if base is not None:
        return os.path.join(base, f"{kind}-{uuid.uuid4().hex[:12]}")
    local = spark.conf.get("spark.local.dir", None)
    path = os.path.join(local.split(",")[0] if local else tempfile.gettempdir(), "byod-dedup",
                        f"{kind}-{uuid.uuid4().hex[:12]}")
    # A stage used alone returns a frame that reads these checkpoints lazily: they are removed when this
    # interpreter exits (the frame cannot outlive its session), never left behind.
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    log.info("dedup checkpoints in %s (removed at exit); on a cluster pass work_dir= a shared folder", path)
    return path


def reason_column(df: DataFrame) -> Column:
    """The reason a filter set: the stage's own column before folding, ``drop_reason`` after."""
    return F.col(STAGE_REASON) if STAGE_REASON in df.columns else F.col(DROP_REASON)


def cluster_stats(annotated: DataFrame, cluster_col: str, code: str) -> dict[str, Any]:
    """Removed count, cluster count and the largest clusters (size, survivor, example ids): two small jobs."""
    if cluster_col not in annotated.columns:
        return {"removed": 0, "clusters": 0, "largest": []}
    reason = reason_column(annotated)
    # The survivor's url and title (where the input has them) name the cluster in the report's plot.
    names = [name for name in NAME_COLUMNS if name in annotated.columns]
    survivor = F.struct(F.col(ID).alias("id"), *[F.col(name).cast("string").alias(name) for name in names])
    groups = (
        annotated.filter(F.col(cluster_col).isNotNull())
        .groupBy(cluster_col)
        .agg(F.count(F.lit(1)).alias("size"),
             F.sum(F.when(reason == code, 1).otherwise(0)).alias("removed"),
             F.min(F.when(reason.isNull() | (reason != code), survivor)).alias("survivor"),
             F.slice(F.sort_array(F.collect_list(ID)), 1, EXAMPLE_IDS).alias("examples"))
    )
    totals = groups.agg(F.count(F.lit(1)).alias("clusters"), F.sum("removed").alias("removed")).collect()[0]
    largest = groups.orderBy(F.col("size").desc(), F.col(cluster_col)).limit(TOP_CLUSTERS).collect()
    return {
        "removed": int(totals["removed"] or 0),
        "clusters": int(totals["clusters"]),
        "largest": [_cluster_row(r, cluster_col, names) for r in largest],
    }


def _cluster_row(row: Any, cluster_col: str, names: list[str]) -> dict[str, Any]:
    """One largest-cluster entry of the report: size, survivor id (and its url/title when known), example ids."""
    survivor = row["survivor"]
    entry: dict[str, Any] = {"cluster": row[cluster_col], "size": int(row["size"]),
                             "survivor": survivor["id"] if survivor is not None else None,
                             "example_ids": list(row["examples"])}
    for name in names:
        if survivor is not None and survivor[name]:
            entry[f"survivor_{name}"] = survivor[name][:NAME_CHARS]
    return entry
