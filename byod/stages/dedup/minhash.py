"""MinHash LSH near-duplicate dedup: signatures in Arrow batches, star edges, verification, components.

Steps (each writes parquet under a work folder, so later steps never recompute earlier ones):
1. ``bands``: per live document, ``bands`` 64-bit keys of its MinHash signature (numpy, ``mapInArrow``).
2. ``candidates``: within each (band, key) bucket every member is linked to the bucket's smallest id
   only (star edges): a bucket of k copies gives k-1 edges, never k^2/2.
3. ``shingles`` + ``edges`` (with ``threshold``): the exact shingle Jaccard of each candidate edge from
   sorted shingle-hash arrays (Spark's ``array_intersect``); edges below the threshold are dropped.
4. components (large-star/small-star, :mod:`byod.stages.dedup.components`), then one survivor per
   component by the same stable rule as exact dedup.
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
from byod.stages.base import Filter, live_condition, require_columns
from byod.stages.dedup import signatures as sig
from byod.stages.dedup.components import NODE, ROOT, component_labels, connected_components
from byod.stages.dedup.survivor import cluster_stats, make_work_dir, priority_columns, survivor_order, validate_priority

NEAR_DUPLICATE = "dedup.near_duplicate"
#: Working column: the component (its smallest id) of a live row that has near duplicates.
CLUSTER = "_byod_dedup_cluster"
_DUP = "_byod_dedup_near"
#: Documents per numpy call inside an Arrow batch: bounds the Python word lists' memory.
_SUB_BATCH = 256
_BAND_SCHEMA = "id string, band int, key long"
_SHINGLE_SCHEMA = "id string, shingles array<long>"


def _band_rows(batches: Iterator[pa.RecordBatch], opts: dict[str, Any]) -> Iterator[pa.RecordBatch]:
    """``(id, band, key)`` per band of each document with words, plus ``(id, -1, word count)``."""
    bands = opts["bands"]
    for batch in batches:
        for lo in range(0, batch.num_rows, _SUB_BATCH):
            part = batch.slice(lo, _SUB_BATCH)
            ids = part.column(0)
            keys, counts = sig.batch_band_keys(part.column(1).to_pylist(), **opts)
            with_words = np.flatnonzero(counts > 0)
            take = np.concatenate([np.repeat(with_words, bands), np.arange(part.num_rows)])
            band = np.concatenate([np.tile(np.arange(bands, dtype=np.int32), len(with_words)),
                                   np.full(part.num_rows, -1, dtype=np.int32)])
            key = np.concatenate([keys[with_words].reshape(-1), counts])
            yield pa.RecordBatch.from_arrays([ids.take(pa.array(take)), pa.array(band), pa.array(key)],
                                             names=["id", "band", "key"])


def _shingle_rows(batches: Iterator[pa.RecordBatch], opts: dict[str, Any]) -> Iterator[pa.RecordBatch]:
    """``(id, sorted distinct shingle hashes)`` per document, for exact Jaccard."""
    import re

    pattern = re.compile(opts["pattern"])
    for batch in batches:
        texts = batch.column(1).to_pylist()
        sets = [sig.shingle_set(t or "", opts["ngram"], lowercase=opts["lowercase"], pattern=pattern)
                for t in texts]
        yield pa.RecordBatch.from_arrays([batch.column(0), pa.array(sets, type=pa.list_(pa.int64()))],
                                         names=["id", "shingles"])


@dataclass(frozen=True, kw_only=True)
class MinHashDedup(Filter):
    """Drop near-duplicate documents: MinHash LSH over word n-grams, verified, one survivor per cluster.

    Broder, "On the resemblance and containment of documents" (1997); the band/bucket scheme of
    Leskovec et al., "Mining of Massive Datasets" ch. 3. DataTrove's 4-stage MinHash is the reference
    pipeline (14 bands x 8 rows there). Runs Spark jobs when called (signatures, edges, components).

    Defaults target Jaccard 0.8 with verification: a pair with Jaccard s shares a bucket with
    probability 1 - (1 - s^r)^b; the S-curve's midpoint is (1/b)^(1/r) = (1/16)^(1/8) ~ 0.71, so a
    0.8 pair is a candidate with p ~ 0.95 per pair (higher through transitive links), a 0.5 pair with
    p ~ 0.06; verification then removes the candidates below 0.8. Without verification
    (``threshold=None``) use e.g. bands=9, rows=13 (midpoint ~ 0.84) to keep precision.

    Documents with fewer words than ``ngram`` are one shingle (all their words); documents with no
    word are not fuzzy-deduplicated (exact dedup catches identical ones). Both are counted in stats.

    Args:
        ngram: words per shingle.
        bands: LSH bands; more bands raise recall and candidate count.
        rows: signature values per band; more rows raise the similarity a band needs.
        threshold: verify each candidate edge by exact shingle Jaccard and keep it at or above this;
            ``None`` keeps every LSH candidate.
        lowercase: compare words case-insensitively.
        word_pattern: Python regex of a word.
        seed: seed of the hash permutations (a fixed seed gives the same result on every run).
        priority: survivor order before ``id`` (``("-timestamp",)`` keeps the newest copy).
        work_dir: folder for the parquet checkpoints (a fresh subfolder per call; on a cluster a path
            every executor reads). ``None``: under ``spark.local.dir`` or the system temp folder.
            The files back the returned frame: delete them only after it has been used.
        max_rounds: bound on connected-components rounds (O(log^2 n) are needed).

    Reason code: ``dedup.near_duplicate``.
    """

    ngram: int = 5
    bands: int = 16
    rows: int = 8
    threshold: float | None = 0.8
    lowercase: bool = True
    word_pattern: str = sig.DEFAULT_WORD_PATTERN
    seed: int = 1
    priority: tuple[str, ...] = ()
    work_dir: str | None = None
    max_rounds: int = 40
    needs_materialized_input: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for field in ("ngram", "bands", "rows", "max_rounds"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{self.name}.{field} must be a positive int; got {value!r}")
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
        spark = df.sparkSession
        work = make_work_dir(spark, self.work_dir, "minhash")
        docs = df.filter(live & F.col(TEXT).isNotNull()).select(F.col(ID).cast("string").alias(ID), TEXT)
        info: dict[str, Any] = {"work_dir": work}

        opts = self._opts()
        docs.mapInArrow(lambda it: _band_rows(it, opts), _BAND_SCHEMA).write.parquet(f"{work}/bands")
        bands = spark.read.parquet(f"{work}/bands")
        per_doc = F.col("band") == -1
        words = bands.agg(
            F.sum(F.when(per_doc, 1).otherwise(0)).alias("docs"),
            F.sum(F.when(per_doc & (F.col("key") == 0), 1).otherwise(0)).alias("no_words"),
            F.sum(F.when(per_doc & (F.col("key") > 0) & (F.col("key") < self.ngram), 1).otherwise(0)).alias("short"),
            F.sum(F.when(per_doc, 0).otherwise(1)).alias("bucket_rows"),
        ).collect()[0]
        info.update({k: int(words[k] or 0) for k in ("docs", "no_words", "short", "bucket_rows")})

        bucket = Window.partitionBy("band", "key")
        candidates = (bands.filter(F.col("band") >= 0).withColumn("m", F.min(ID).over(bucket))
                      .filter(F.col(ID) != F.col("m")).select(F.col(ID).alias("src"), F.col("m").alias("dst"))
                      .distinct())
        candidates.write.parquet(f"{work}/candidates")
        edges = spark.read.parquet(f"{work}/candidates")
        info["candidate_edges"] = edges.count()
        if self.threshold is not None and info["candidate_edges"]:
            edges = self._verify(docs, edges, work)
            info["verified_edges"] = edges.count()
        if info.get("verified_edges", info["candidate_edges"]) == 0:
            info.update(rounds=0, edges_per_round=[])
            object.__setattr__(self, "_last_run", info)
            return df.withColumn(CLUSTER, F.lit(None).cast("string")).withColumn(
                STAGE_REASON, F.lit(None).cast("string"))

        comps = connected_components(edges, work, max_rounds=self.max_rounds)
        info.update(rounds=comps.rounds, edges_per_round=list(comps.edges_per_round))
        object.__setattr__(self, "_last_run", info)
        labels = component_labels(spark, comps).withColumnRenamed(NODE, ID)
        members = df.filter(live).select(F.col(ID).cast("string").alias(ID),
                                         *priority_columns(self.priority)).join(labels, ID)
        ranked = members.withColumn("_byod_rank", F.row_number().over(
            Window.partitionBy(ROOT).orderBy(*survivor_order(self.priority))))
        ranked.groupBy(ID).agg(F.min(ROOT).alias(CLUSTER), (F.min("_byod_rank") > 1).alias(_DUP)) \
            .write.parquet(f"{work}/clusters")
        clusters = spark.read.parquet(f"{work}/clusters")
        joined = df.join(clusters, ID, "left")
        return joined.select(
            *df.columns,
            F.when(live, F.col(CLUSTER)).alias(CLUSTER),
            F.when(live & F.col(_DUP), F.lit(NEAR_DUPLICATE)).cast("string").alias(STAGE_REASON),
        )

    def _verify(self, docs: DataFrame, edges: DataFrame, work: str) -> DataFrame:
        """Keep candidate edges whose exact shingle Jaccard reaches ``threshold``."""
        spark = docs.sparkSession
        nodes = edges.select(F.col("src").alias(ID)).unionByName(edges.select(F.col("dst").alias(ID))).distinct()
        opts = self._opts()
        docs.join(nodes, ID).mapInArrow(lambda it: _shingle_rows(it, opts), _SHINGLE_SCHEMA) \
            .write.parquet(f"{work}/shingles")
        sets = spark.read.parquet(f"{work}/shingles").dropDuplicates([ID])
        a = sets.select(F.col(ID).alias("src"), F.col("shingles").alias("sa"))
        b = sets.select(F.col(ID).alias("dst"), F.col("shingles").alias("sb"))
        inter = F.size(F.array_intersect("sa", "sb"))
        jaccard = inter / (F.size("sa") + F.size("sb") - inter)
        edges.join(a, "src").join(b, "dst").filter(jaccard >= F.lit(float(self.threshold))) \
            .select("src", "dst").write.parquet(f"{work}/edges")
        return spark.read.parquet(f"{work}/edges")

    def last_run(self) -> dict[str, Any]:
        """Figures of the last :meth:`annotate` call: documents, skipped/short docs, edges, rounds."""
        return dict(getattr(self, "_last_run", {}))

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        return {"near": {**cluster_stats(annotated, CLUSTER, NEAR_DUPLICATE), **self.last_run()}}
