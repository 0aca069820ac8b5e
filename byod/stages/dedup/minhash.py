"""MinHash LSH near-duplicate dedup: signatures in Arrow batches, verified bucket pairs, components.

Steps (each writes parquet under a work folder, so later steps never recompute earlier ones):
1. ``bands``: per live document, ``bands`` 64-bit keys of its MinHash signature and a fingerprint of
   its word sequence (numpy, ``mapInArrow``).
2. ``edges`` (:mod:`byod.stages.dedup.edges`): documents with one fingerprint are copies, linked to the
   fingerprint's smallest id; the LSH graph is built over fingerprints, so copies, ids and partitions
   cannot change it. Every pair of fingerprints sharing a bucket is a candidate (a star to the
   bucket's smallest fingerprint past :data:`~byod.stages.dedup.edges.ALL_PAIRS_MAX` members), kept
   when its exact shingle Jaccard reaches ``threshold``.
3. components (large-star/small-star, :mod:`byod.stages.dedup.components`) over ids; rows that share
   an id (a file read twice) form a group too. One survivor per group by the stable survivor rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from byod.columns import ID, STAGE_REASON, TEXT
from byod.stages.base import Filter, live_condition, record_figures, recorded_figures, require_columns
from byod.stages.dedup import signatures as sig
from byod.stages.dedup.components import NODE, ROOT, component_labels, connected_components
from byod.stages.dedup.edges import near_edges
from byod.stages.dedup.survivor import (
    SurvivorReport,
    cluster_stats,
    make_work_dir,
    priority_columns,
    survivor_order,
    validate_priority,
)

NEAR_DUPLICATE = "dedup.near_duplicate"
#: Working column: the group (its smallest id) of a live row that has near duplicates or copies.
CLUSTER = "_byod_dedup_cluster"
_ROOT = "_byod_dedup_root"
_MEMBER = "_byod_dedup_member"
#: Documents per numpy call inside an Arrow batch: bounds the Python word lists' memory.
_SUB_BATCH = 256
_BAND_SCHEMA = "id string, band int, key long, fp long"


def _band_rows(batches: Iterator[pa.RecordBatch], opts: dict[str, Any]) -> Iterator[pa.RecordBatch]:
    """``(id, band, key, fp)`` per band of each document with words, plus ``(id, -1, word count, fp)``."""
    bands = opts["bands"]
    for batch in batches:
        for lo in range(0, batch.num_rows, _SUB_BATCH):
            part = batch.slice(lo, _SUB_BATCH)
            ids = part.column(0)
            keys, counts, prints = sig.batch_sketch(part.column(1).to_pylist(), **opts)
            with_words = np.flatnonzero(counts > 0)
            take = np.concatenate([np.repeat(with_words, bands), np.arange(part.num_rows)])
            band = np.concatenate([np.tile(np.arange(bands, dtype=np.int32), len(with_words)),
                                   np.full(part.num_rows, -1, dtype=np.int32)])
            key = np.concatenate([keys[with_words].reshape(-1), counts])
            yield pa.RecordBatch.from_arrays([ids.take(pa.array(take)), pa.array(band), pa.array(key),
                                              pa.array(prints[take])], names=["id", "band", "key", "fp"])


@dataclass(frozen=True, kw_only=True)
class MinHashDedup(SurvivorReport, Filter):
    """Drop near-duplicate documents: MinHash LSH over word n-grams, verified, one survivor per cluster.

    Broder, "On the resemblance and containment of documents" (1997); the band/bucket scheme of
    Leskovec et al., "Mining of Massive Datasets" ch. 3. DataTrove's 4-stage MinHash is the reference
    pipeline (14 bands x 8 rows there). Runs Spark jobs when called (signatures, edges, components).

    Defaults target Jaccard 0.8 with verification: a pair with Jaccard s shares a bucket with
    probability 1 - (1 - s^r)^b; the S-curve's midpoint is (1/b)^(1/r) = (1/16)^(1/8) ~ 0.71, so a
    0.8 pair is a candidate with p ~ 0.95 per pair (higher through transitive links), a 0.5 pair with
    p ~ 0.06; verification then removes the candidates below 0.8. Without verification
    (``threshold=None``) use e.g. bands=9, rows=13 (midpoint ~ 0.84) to keep precision.

    Near duplicates: documents joined by a chain of pairs that share an LSH bucket and (with
    ``threshold``) have an exact shingle Jaccard at or above it. Every pair in a bucket is checked,
    over distinct word sequences, so the result depends on the texts only: not on ids, on copies of
    a document being present, on partitioning or on input order (see :mod:`byod.stages.dedup.edges`).
    Documents with the same words are copies: always duplicates. Rows with the same ``id`` (the same
    file read twice) are duplicates too, whatever their text.

    Documents with fewer words than ``ngram`` are one shingle (all their words); documents with no
    word are not fuzzy-deduplicated (exact dedup catches identical ones). Both are counted in stats.

    Survivor of each cluster (reported as ``params.survivor``): the newest ``timestamp`` where the
    frame has that column (strings parsed as timestamps; missing or unparseable count as oldest),
    then the longest text, then the smallest ``id``. The cluster's name stays its smallest id.

    Args:
        ngram: words per shingle.
        bands: LSH bands; more bands raise recall and candidate count.
        rows: signature values per band; more rows raise the similarity a band needs.
        threshold: verify each candidate edge by exact shingle Jaccard and keep it at or above this;
            ``None`` keeps every LSH candidate.
        lowercase: compare words case-insensitively.
        word_pattern: Python regex of a word.
        seed: seed of the hash permutations (a fixed seed gives the same result on every run).
        priority: override of the survivor rule: column names, ``-name`` for descending, then ``id``;
            ``()``: the smallest ``id``. ``None``: the default rule above.
        work_dir: folder for the parquet checkpoints (a fresh subfolder per call; on a cluster a path
            every executor reads). ``None``: under ``spark.local.dir`` or the system temp folder.
            The files back the returned frame: delete them only after it has been used.
        max_rounds: bound on connected-components rounds (O(log^2 n) are needed).
        driver_components_max_edges: a graph of verified edges up to this size is solved on the driver by
            union-find in one Spark job (same labels; rounds cost 4-8 small jobs each); 0: always rounds.

    Reason code: ``dedup.near_duplicate``.
    """

    ngram: int = 5
    bands: int = 16
    rows: int = 8
    threshold: float | None = 0.8
    lowercase: bool = True
    word_pattern: str = sig.DEFAULT_WORD_PATTERN
    seed: int = 1
    priority: tuple[str, ...] | None = None
    work_dir: str | None = None
    max_rounds: int = 40
    driver_components_max_edges: int = 1_000_000
    needs_materialized_input: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for field in ("ngram", "bands", "rows", "max_rounds"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{self.name}.{field} must be a positive int; got {value!r}")
        limit = self.driver_components_max_edges
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"{self.name}.driver_components_max_edges must be an int >= 0; got {limit!r}")
        if self.threshold is not None and not (isinstance(self.threshold, (int, float)) and 0 < self.threshold <= 1):
            raise ValueError(f"{self.name}.threshold must be in (0, 1] or None; got {self.threshold!r}")
        if not isinstance(self.seed, int):
            raise TypeError(f"{self.name}.seed must be an int; got {self.seed!r}")
        validate_priority(self.priority, self.name)

    def _opts(self) -> dict[str, Any]:
        return {"ngram": self.ngram, "bands": self.bands, "rows": self.rows, "seed": self.seed,
                "lowercase": self.lowercase, "pattern": self.word_pattern}

    def annotate(self, df: DataFrame) -> DataFrame:
        return self.annotate_live(df, live_condition(df))

    def annotate_live(self, df: DataFrame, live: Column) -> DataFrame:
        """:meth:`annotate` among the rows where ``live`` holds (``Dedup`` chains stages with it)."""
        require_columns(df, self.name, ID, TEXT, *priority_columns(self.priority))
        self.note_columns(df)
        work = make_work_dir(df.sparkSession, self.work_dir, "minhash")
        docs = df.filter(live & F.col(TEXT).isNotNull()).select(F.col(ID).cast("string").alias(ID), TEXT)
        info: dict[str, Any] = {"work_dir": work}
        bands = self._bands(docs, work, info)
        edges = near_edges(docs, bands, work, self._opts(), self.threshold, info)
        groups = self._groups(bands, edges, work, info)
        record_figures(self, **info)
        if groups is None:
            return df.withColumn(CLUSTER, F.lit(None).cast("string")).withColumn(
                STAGE_REASON, F.lit(None).cast("string"))
        return self._mark(df, live, groups)

    def _bands(self, docs: DataFrame, work: str, info: dict[str, Any]) -> DataFrame:
        """Write band keys and fingerprints; count documents, wordless, short and repeated-id rows."""
        opts = self._opts()
        docs.mapInArrow(lambda it: _band_rows(it, opts), _BAND_SCHEMA).write.parquet(f"{work}/bands")
        bands = docs.sparkSession.read.parquet(f"{work}/bands")
        per_doc = F.col("band") == -1
        words = bands.agg(
            F.sum(F.when(per_doc, 1).otherwise(0)).alias("docs"),
            F.sum(F.when(per_doc & (F.col("key") == 0), 1).otherwise(0)).alias("no_words"),
            F.sum(F.when(per_doc & (F.col("key") > 0) & (F.col("key") < self.ngram), 1).otherwise(0)).alias("short"),
            F.sum(F.when(per_doc, 0).otherwise(1)).alias("bucket_rows"),
            F.count_distinct(F.when(per_doc, F.col(ID))).alias("ids"),
        ).collect()[0]
        info.update({k: int(words[k] or 0) for k in ("docs", "no_words", "short", "bucket_rows")})
        info["repeated_id_rows"] = info["docs"] - int(words["ids"] or 0)
        return bands

    def _groups(self, bands: DataFrame, edges: DataFrame, work: str, info: dict[str, Any]) -> DataFrame | None:
        """``(id, root)`` of every id in a component or read more than once; None when there is none."""
        spark = bands.sparkSession
        found = info.get("verified_edges", info["candidate_edges"])
        info.update(rounds=0, edges_per_round=[])
        parts = []
        if found:
            comps = connected_components(edges, work, max_rounds=self.max_rounds,
                                         driver_max_edges=self.driver_components_max_edges)
            info.update(rounds=comps.rounds, edges_per_round=list(comps.edges_per_round),
                        components_on_driver=comps.on_driver)
            parts.append(component_labels(spark, comps).select(F.col(NODE).alias(ID), F.col(ROOT).alias(_ROOT)))
        if info["repeated_id_rows"]:
            repeated = bands.filter(F.col("band") == -1).groupBy(ID).count().filter(F.col("count") > 1)
            parts.append(repeated.select(ID, F.col(ID).alias(_ROOT)))
        if not parts:
            return None
        union = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
        union.groupBy(ID).agg(F.min(_ROOT).alias(_ROOT)).write.parquet(f"{work}/groups")
        return spark.read.parquet(f"{work}/groups")

    def _mark(self, df: DataFrame, live: Column, groups: DataFrame) -> DataFrame:
        """Rank the rows of each group by the survivor rule; all but the first are near duplicates.

        ``groups`` has one row per id, so the join adds no row; rows sharing an id are told apart by
        the rank (a window over the group's rows), never by a join on id.
        """
        joined = df.join(groups, ID, "left")
        member = F.coalesce(live & F.col(TEXT).isNotNull() & F.col(_ROOT).isNotNull(), F.lit(False))
        joined = joined.withColumn(_MEMBER, member)
        rank = F.row_number().over(Window.partitionBy(_ROOT).orderBy(*survivor_order(df, self.priority)))
        members = joined.filter(F.col(_MEMBER)).select(
            *df.columns, F.col(_ROOT).alias(CLUSTER),
            F.when(rank > 1, F.lit(NEAR_DUPLICATE)).cast("string").alias(STAGE_REASON))
        others = joined.filter(~F.col(_MEMBER)).select(
            *df.columns, F.lit(None).cast("string").alias(CLUSTER), F.lit(None).cast("string").alias(STAGE_REASON))
        return members.unionByName(others)

    def run_figures(self) -> dict[str, Any]:
        """What :meth:`annotate` measured in the current :func:`~byod.stages.base.figures_scope`:
        documents, skipped and short ones, edges, rounds (the survivor rule applied too)."""
        return {k: v for k, v in recorded_figures(self).items() if k != "survivor"}

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        return {"near": {**cluster_stats(annotated, CLUSTER, NEAR_DUPLICATE), **self.run_figures()}}
