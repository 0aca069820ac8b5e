"""MinHash graph edges: copies by fingerprint, candidate pairs per LSH bucket, exact-Jaccard verification.

Nodes of the LSH graph are word-sequence fingerprints, not ids: documents with the same words have
the same shingles, so a fingerprint stands for all its copies and the graph depends on content only
(never on which copies exist, their ids, partitioning or order). Within a bucket every pair of
fingerprints is a candidate, so no pair that shares a bucket and reaches the threshold is lost when
a third member does not (a star to one member, verified, loses exactly those). Buckets of more than
:data:`ALL_PAIRS_MAX` fingerprints, rare and usually one template, link every member to the smallest
fingerprint only, which bounds a bucket's pairs (a 100,000-member bucket would need 5 * 10^9).
Edges are mapped to ids at the end: each fingerprint's smallest id stands for it, and every other
id of the fingerprint is linked to that one (a copy edge, Jaccard 1, not verified).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from byod.columns import ID
from byod.stages.dedup import signatures as sig

#: Largest bucket (in distinct fingerprints) whose pairs are all candidates: 32 members make 496 pairs.
ALL_PAIRS_MAX = 32
_SHINGLE_SCHEMA = "id string, shingles array<long>"


def _shingle_rows(batches: Iterator[pa.RecordBatch], opts: dict[str, Any]) -> Iterator[pa.RecordBatch]:
    """``(id, sorted distinct shingle hashes)`` per document, for exact Jaccard."""
    pattern = re.compile(opts["pattern"])
    for batch in batches:
        texts = batch.column(1).to_pylist()
        sets = [sig.shingle_set(t or "", opts["ngram"], lowercase=opts["lowercase"], pattern=pattern)
                for t in texts]
        yield pa.RecordBatch.from_arrays([batch.column(0), pa.array(sets, type=pa.list_(pa.int64()))],
                                         names=["id", "shingles"])


def _save(df: DataFrame, path: str) -> DataFrame:
    df.write.parquet(path)
    return df.sparkSession.read.parquet(path)


def representatives(bands: DataFrame, work: str) -> tuple[DataFrame, DataFrame]:
    """``(reps, copies)``: each fingerprint's smallest id ``(fp, rep)``, and ``(src, dst)`` copy edges."""
    per_doc = bands.filter((F.col("band") == -1) & (F.col("key") > 0)).select(ID, "fp").distinct()
    reps = _save(per_doc.groupBy("fp").agg(F.min(ID).alias("rep")), f"{work}/reps")
    copies = (per_doc.join(reps, "fp").filter(F.col(ID) != F.col("rep"))
              .select(F.col(ID).alias("src"), F.col("rep").alias("dst")))
    return reps, _save(copies, f"{work}/copies")


def bucket_pairs(bands: DataFrame, work: str, *, all_pairs: bool = True) -> DataFrame:
    """Candidate ``(fa, fb)`` fingerprint pairs, ``fa < fb``: all pairs of small buckets, stars of big ones.

    ``all_pairs=False`` makes every bucket a star: enough when no pair is verified (a bucket is one
    component either way), with fewer edges.
    """
    largest = ALL_PAIRS_MAX if all_pairs else 1
    bucket = Window.partitionBy("band", "key")
    shared = (bands.filter(F.col("band") >= 0).select("band", "key", "fp").distinct()
              .withColumn("n", F.count(F.lit(1)).over(bucket)).withColumn("m", F.min("fp").over(bucket))
              .filter(F.col("n") > 1))
    shared = _save(shared, f"{work}/buckets")
    stars = (shared.filter((F.col("n") > largest) & (F.col("fp") != F.col("m")))
             .select(F.col("m").alias("fa"), F.col("fp").alias("fb")))
    small = shared.filter(F.col("n") <= largest)
    pairs = (small.select("band", "key", F.col("fp").alias("fa"))
             .join(small.select("band", "key", F.col("fp").alias("fb")), ["band", "key"])
             .filter(F.col("fa") < F.col("fb")).select("fa", "fb"))
    return _save(stars.unionByName(pairs).distinct(), f"{work}/candidates")


def verify(docs: DataFrame, reps: DataFrame, pairs: DataFrame, opts: dict[str, Any], threshold: float,
           work: str) -> DataFrame:
    """The pairs whose exact shingle Jaccard reaches ``threshold`` (shingles of one id per fingerprint)."""
    needed = (pairs.select(F.col("fa").alias("fp")).unionByName(pairs.select(F.col("fb").alias("fp")))
              .distinct().join(reps, "fp"))
    ids = needed.select(F.col("rep").alias(ID))
    # A row read twice has its id twice: one shingle set per id.
    shingles = _save(docs.join(ids, ID).mapInArrow(lambda it: _shingle_rows(it, opts), _SHINGLE_SCHEMA),
                     f"{work}/shingles").dropDuplicates([ID])
    sets = needed.join(shingles, needed["rep"] == shingles[ID]).select("fp", "shingles")
    a = sets.select(F.col("fp").alias("fa"), F.col("shingles").alias("sa"))
    b = sets.select(F.col("fp").alias("fb"), F.col("shingles").alias("sb"))
    inter = F.size(F.array_intersect("sa", "sb"))
    jaccard = inter / (F.size("sa") + F.size("sb") - inter)
    return _save(pairs.join(a, "fa").join(b, "fb").filter(jaccard >= F.lit(float(threshold))).select("fa", "fb"),
                 f"{work}/verified")


def near_edges(docs: DataFrame, bands: DataFrame, work: str, opts: dict[str, Any], threshold: float | None,
               info: dict[str, Any]) -> DataFrame:
    """Id edges ``(src, dst)``: copies plus (verified) bucket pairs; runs Spark jobs and fills ``info``.

    ``info`` gets ``copy_edges``, ``candidate_edges`` (copies + bucket pairs) and, with a threshold,
    ``verified_edges`` (copies + pairs that passed).
    """
    reps, copies = representatives(bands, work)
    pairs = bucket_pairs(bands, work, all_pairs=threshold is not None)
    info["copy_edges"] = copies.count()
    found = pairs.count()
    info["candidate_edges"] = info["copy_edges"] + found
    if threshold is not None:
        pairs = verify(docs, reps, pairs, opts, threshold, work) if found else pairs
        info["verified_edges"] = info["copy_edges"] + (pairs.count() if found else 0)
    src = reps.select(F.col("fp").alias("fa"), F.col("rep").alias("src"))
    dst = reps.select(F.col("fp").alias("fb"), F.col("rep").alias("dst"))
    return copies.unionByName(pairs.join(src, "fa").join(dst, "fb").select("src", "dst"))

