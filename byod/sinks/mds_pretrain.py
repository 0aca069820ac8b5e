"""The pretraining sink: tokenize, pack and write MDS in the split folders llm-foundry's YAML names.

    <folder>/index.json        every shard of every split (StreamingDataset(local=<folder>) reads all)
    <folder>/train/index.json  the training split (llm-foundry: ``split: train``)
    <folder>/val/index.json    an optional held-out share, chosen by document id and seed

A document's split depends only on its id and the seed, so it never moves between runs, partitionings
or input orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from byod.columns import ID
from byod.mds.index import merge_index, publish_index, read_index
from byod.stages.packing import PackingStats
from byod.stages.tokenize import Tokenize
from byod.stages.write import ShardFormat, WriteResult

TRAIN, VAL = "train", "val"


def split_column(val_fraction: float | None, seed: int) -> Column:
    """``'val'`` for a stable ``val_fraction`` share of ids, else ``'train'``."""
    if not val_fraction:
        return F.lit(TRAIN)
    bucket = F.conv(F.substring(F.sha2(F.concat_ws(":", F.lit(str(seed)), F.col(ID)), 256), 1, 8), 16, 10)
    return F.when(bucket.cast("double") / float(2**32) < val_fraction, F.lit(VAL)).otherwise(F.lit(TRAIN))


@dataclass(frozen=True, kw_only=True)
class PretrainMDSSink:
    """Kept documents -> packed token samples in ``train`` (and ``val``) MDS folders with one root index.

    Args:
        tokenize: the tokenizer and packing settings.
        shards: how shards are encoded (compression, size, hashes); each split's folder is the sink's.
        val_fraction: share of documents held out in ``val`` (0 < x < 1); None writes ``train`` only.
        seed: changes which documents are held out.
    """

    tokenize: Tokenize
    shards: ShardFormat = field(default_factory=ShardFormat)
    val_fraction: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.val_fraction is not None and not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be between 0 and 1 (exclusive) or null, got {self.val_fraction}")

    def write_to(self, kept: DataFrame, folder: str) -> dict[str, Any]:
        """Write every split under ``folder`` and its root index; returns the figures for the report."""
        names = [TRAIN, VAL] if self.val_fraction else [TRAIN]
        labelled = kept.withColumn("_byod_split", split_column(self.val_fraction, self.seed))
        results: dict[str, WriteResult] = {}
        for name in names:
            part = labelled.filter(F.col("_byod_split") == name).drop("_byod_split")
            writer = self.shards.writer(f"{folder.rstrip('/')}/{name}")
            results[name] = writer.write(part.transform(self.tokenize))
        publish_index(folder, merge_index((name, read_index(results[name].output)["shards"]) for name in names))
        return _figures(folder, results)


def _figures(folder: str, results: dict[str, WriteResult]) -> dict[str, Any]:
    packing: PackingStats | None = None
    for result in results.values():
        if result.packing is not None:
            packing = result.packing if packing is None else packing.merge(result.packing)
    first = next(iter(results.values()))
    return {
        "output": folder, "samples": sum(r.samples for r in results.values()),
        "shards": sum(r.shards for r in results.values()), "bytes": sum(r.bytes for r in results.values()),
        "tokens": sum(r.tokens for r in results.values()), "columns": first.columns,
        "compression": first.compression, "packing": packing.to_dict() if packing is not None else None,
        "splits": {name: r.to_dict() for name, r in results.items()},
    }
