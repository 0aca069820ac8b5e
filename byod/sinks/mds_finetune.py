"""The finetuning sink: examples -> MDS in exactly the columns llm-foundry's StreamingFinetuningDataset reads.

    <folder>/index.json                          without a split
    <folder>/train/index.json, eval/index.json   with ``SplitTrainEval`` (llm-foundry: ``split: train``)

Tokenized examples are written as ``turns``; with ``write_tokens=False`` (or no tokenizer) as
``prompt``/``response`` or ``messages``, which llm-foundry tokenizes at train time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from byod.stages.finetune.output import mds_frame
from byod.stages.finetune.split import EVAL, SPLIT, TRAIN
from byod.stages.finetune.tokenize import TURNS
from byod.stages.write import ShardFormat


@dataclass(frozen=True, kw_only=True)
class FinetuneMDSSink:
    """Write kept finetuning examples under ``folder`` (one dataset, or ``train``/``eval`` split folders).

    Args:
        shards: how shards are encoded (compression, size, hashes); the columns are the sink's.
        write_tokens: False writes the examples as text even when they were tokenized (the tokenized
            checks still chose which examples were kept).
    """

    shards: ShardFormat = field(default_factory=ShardFormat)
    write_tokens: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.write_tokens, bool):
            raise ValueError(f"write_tokens must be true or false, got {self.write_tokens!r}")
        if self.shards.columns is not None:  # it would be replaced by llm-foundry's columns without a word
            raise ValueError("columns cannot be set: the finetuning sink writes the columns llm-foundry reads")

    def write_to(self, kept: DataFrame, folder: str) -> dict[str, Any]:
        """Write (one Spark job per split) and return the writer's figures for the report."""
        if not self.write_tokens and TURNS in kept.columns:
            kept = kept.drop(TURNS)
        frame, columns = mds_frame(kept)
        if SPLIT not in frame.columns:
            return self.shards.writer(folder, columns=columns).write(frame).to_dict()
        splits = {}
        for name in (TRAIN, EVAL):
            writer = self.shards.writer(f"{folder.rstrip('/')}/{name}", columns=columns)
            splits[name] = writer.write(frame.filter(F.col(SPLIT) == name)).to_dict()
        return {"output": folder, "samples": sum(s["samples"] for s in splits.values()), "splits": splits}
