"""ft_data_prep: prompt/response pairs and chats -> validated, deduplicated, tokenized finetuning MDS.

    spark-submit jobs/ft_data_prep.py [--config FILE] [key=value ...]     or     byod run ft_data_prep ...

Writes <output>/mds (or <output>/mds/train and <output>/mds/eval with split.eval_fraction), as
llm-foundry's StreamingFinetuningDataset reads it; tokenize.tokenizer=null writes untokenized examples.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from byod.config import construct, to_plain
from byod.job import JobConfig, JobContext, SourceSpec, main
from byod.sources.finetune import read_finetune_sources
from byod.stages.dedup import ExactDedup
from byod.stages.finetune import SplitTrainEval, TokenizeFinetune, finetune_stats, write_finetune


@dataclass
class Config(JobConfig):
    output: str = "out/ft_data_prep"
    sources: list[SourceSpec] = field(default_factory=lambda: [
        SourceSpec(name="ft", format="jsonl", paths=["data/sample/ft"])])
    dedup: bool = True  # drop exact duplicate examples (same prompt and response, or same messages)
    tokenize: dict[str, Any] = field(default_factory=lambda: {"tokenizer": MISSING, "max_seq_len": 2048,
                                                              "policy": "truncate"})
    split: dict[str, Any] = field(default_factory=lambda: {"eval_fraction": None, "seed": 0})
    mds: dict[str, Any] = field(default_factory=lambda: {"compression": "zstd"})


def plan(cfg: Config, origin: str) -> list:
    stages: list = [ExactDedup(lowercase=False, collapse_whitespace=False)] if cfg.dedup else []
    if to_plain(cfg.tokenize).get("tokenizer") is not None:
        stages.append(construct(TokenizeFinetune, to_plain(cfg.tokenize), key="tokenize", origin=origin))
    if to_plain(cfg.split).get("eval_fraction") is not None:
        stages.append(construct(SplitTrainEval, to_plain(cfg.split), key="split", origin=origin))
    return stages


def run(cfg: Config, ctx: JobContext, stages: list) -> dict[str, Any]:
    docs = read_finetune_sources(ctx.spark, cfg.sources, work_dir=ctx.work_dir)
    result = ctx.run_pipeline(docs, stages)
    stats = finetune_stats(result.annotated, max_seq_len=to_plain(cfg.tokenize).get("max_seq_len"))
    ctx.report.extra["finetune"] = stats
    output = write_finetune(result.kept, output=ctx.layout.mds_dir, **to_plain(cfg.mds))
    ctx.set_output({**output, "tokens": stats.get("tokens_written", 0)})
    return ctx.finish()


if __name__ == "__main__":
    sys.exit(main("ft_data_prep", Config, plan, run))
