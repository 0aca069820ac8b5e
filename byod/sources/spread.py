"""Spread a source read as too few parts over enough partitions that every core has work.

Spark reads a compressed file (``.jsonl.gz``) as one task and packs small whole files (LaTeX, PDF) into
128 MiB splits, so a 50 MB gzip of web text runs every filter on one core while the others idle. A
source whose files give fewer read parts than its text needs is repartitioned by ``id`` right after
reading: one shuffle of the raw text, paid once, before the expensive stages.

The partition count follows the size of the data, never the machine (``TEXT_PER_PARTITION`` of text per
partition), so ``spark-submit`` on a laptop and on a cluster partition alike and write the same shards;
on a machine with more cores than partitions the data is small enough that it does not matter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pyspark.sql import DataFrame

from byod.columns import ID
from byod.sources.probe import COMPRESSED  # what Hadoop decompresses (by name), so reads as one task

#: Text each partition gets at most when a source is spread (about 4,000 web pages of 4 KiB).
TEXT_PER_PARTITION = 16 << 20
#: How much larger a compressed text file is once decompressed (web text and JSON lines: 3-5x with gzip).
COMPRESSION_RATIO = 4
#: Spark's ``spark.sql.files.maxPartitionBytes`` default: an uncompressed file is split at this size.
SPLIT_BYTES = 128 << 20
#: Never spread one source over more partitions than this (a folder that big has many files anyway).
MAX_PARTITIONS = 512


def read_parts(files: Sequence[tuple[str, int]], whole_files: bool) -> int:
    """How many tasks Spark reads ``files`` (path, size) in: one per compressed file, else per 128 MiB."""
    if whole_files:  # one record per file, packed into splits of up to SPLIT_BYTES
        return max(1, math.ceil(sum(size for _, size in files) / SPLIT_BYTES))
    return sum(1 if path.endswith(COMPRESSED) else max(1, math.ceil(size / SPLIT_BYTES))
               for path, size in files)


def text_bytes(files: Sequence[tuple[str, int]]) -> int:
    """The text ``files`` hold once decompressed (an estimate: compressed sizes times COMPRESSION_RATIO)."""
    return sum(size * COMPRESSION_RATIO if path.endswith(COMPRESSED) else size
               for path, size in files)


def spread_to(files: Sequence[tuple[str, int]], whole_files: bool = False,
              text_per_partition: int | None = None) -> int | None:
    """The partitions a source of ``files`` should be spread over, or None when its read parts suffice."""
    if not files:
        return None
    per_partition = text_per_partition or TEXT_PER_PARTITION
    wanted = min(MAX_PARTITIONS, math.ceil(text_bytes(files) / per_partition))
    return wanted if wanted > read_parts(files, whole_files) else None


def spread(frame: DataFrame, partitions: int | None) -> DataFrame:
    """``frame`` hash-partitioned by ``id`` into ``partitions`` (None: unchanged). Ids are content hashes,
    so which rows share a partition does not depend on the input order or the machine."""
    return frame if partitions is None else frame.repartition(partitions, ID)
