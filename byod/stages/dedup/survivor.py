"""Which copy of a duplicate group survives (a stable rule, never partition order), and the report."""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, ID, STAGE_REASON
from byod.stages.base import current_work_dir

#: Clusters listed in the report, largest first, and ids shown per cluster.
TOP_CLUSTERS = 5
EXAMPLE_IDS = 3


def validate_priority(priority: tuple[str, ...], stage: str) -> None:
    """``priority`` is a tuple of column names, ``-name`` meaning descending (newest first)."""
    if not isinstance(priority, tuple) or not all(isinstance(p, str) and p.lstrip("-") for p in priority):
        raise TypeError(f"{stage}.priority must be a tuple of column names such as ('-timestamp',); "
                        f"got {priority!r}")


def priority_columns(priority: tuple[str, ...]) -> list[str]:
    """The input columns a priority reads."""
    return [p.lstrip("-") for p in priority]


def survivor_order(priority: tuple[str, ...]) -> list[Column]:
    """Sort order of a group: the priority columns (nulls last), then the smallest stable ``id``."""
    order = [F.col(p[1:]).desc_nulls_last() if p.startswith("-") else F.col(p).asc_nulls_last()
             for p in priority]
    return [*order, F.col(ID).asc()]


def make_work_dir(spark: SparkSession, base: str | None, kind: str) -> str:
    """A fresh folder for one run's parquet checkpoints: under ``base``, else under ``spark.local.dir``
    the running pipeline's work folder, else ``spark.local.dir`` (first entry) or the system temp folder.
    On a cluster, pass a ``base`` all executors can read (a pipeline run's work folder is one)."""
    if base is None and current_work_dir() is not None:
        base = f"{current_work_dir()}/dedup"
    if base is None:
        local = spark.conf.get("spark.local.dir", None)
        base = os.path.join(local.split(",")[0] if local else tempfile.gettempdir(), "byod-dedup")
    return os.path.join(base, f"{kind}-{uuid.uuid4().hex[:12]}")


def reason_column(df: DataFrame) -> Column:
    """The reason a filter set: the stage's own column before folding, ``drop_reason`` after."""
    return F.col(STAGE_REASON) if STAGE_REASON in df.columns else F.col(DROP_REASON)


def cluster_stats(annotated: DataFrame, cluster_col: str, code: str) -> dict[str, Any]:
    """Removed count, cluster count and the largest clusters (size, survivor, example ids): two small jobs."""
    if cluster_col not in annotated.columns:
        return {"removed": 0, "clusters": 0, "largest": []}
    reason = reason_column(annotated)
    groups = (
        annotated.filter(F.col(cluster_col).isNotNull())
        .groupBy(cluster_col)
        .agg(F.count(F.lit(1)).alias("size"),
             F.sum(F.when(reason == code, 1).otherwise(0)).alias("removed"),
             F.min(F.when(reason.isNull() | (reason != code), F.col(ID))).alias("survivor"),
             F.slice(F.sort_array(F.collect_list(ID)), 1, EXAMPLE_IDS).alias("examples"))
    )
    totals = groups.agg(F.count(F.lit(1)).alias("clusters"), F.sum("removed").alias("removed")).collect()[0]
    largest = groups.orderBy(F.col("size").desc(), F.col(cluster_col)).limit(TOP_CLUSTERS).collect()
    return {
        "removed": int(totals["removed"] or 0),
        "clusters": int(totals["clusters"]),
        "largest": [{"cluster": r[cluster_col], "size": int(r["size"]), "survivor": r["survivor"],
                     "example_ids": list(r["examples"])} for r in largest],
    }
