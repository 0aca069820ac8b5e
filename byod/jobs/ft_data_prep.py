"""ft_data_prep: prompt/response pairs and chats -> validated, deduplicated, tokenized finetuning MDS.

    spark-submit jobs/ft_data_prep.py [--config FILE] [key=value ...]     or     byod run ft_data_prep ...

Writes <output>/mds (or <output>/mds/train and <output>/mds/eval with split.eval_fraction), as
llm-foundry's StreamingFinetuningDataset reads it. ``write_tokens=false`` writes the examples as text
(prompt/response or messages; llm-foundry tokenizes them at train time) after the same tokenized checks,
so no sample is kept that llm-foundry's collator would reject at ``tokenize.max_seq_len``;
``tokenize.tokenizer=null`` writes text unchecked (the report and log say so).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from omegaconf import MISSING

from byod.config import construct, to_plain
from byod.job import JobConfig, JobContext, SourceSpec, main
from byod.sinks import FinetuneMDSSink
from byod.sources.finetune import read_finetune, read_finetune_sources
from byod.sources.spec import check_source_options
from byod.stages.dedup import ExactDedup
from byod.stages.finetune import SplitTrainEval, TokenizeFinetune, finetune_stats
from byod.stages.finetune.tokenize import TURNS
from byod.stages.write import ShardFormat

log = logging.getLogger(__name__)


@dataclass
class Config(JobConfig):
    output: str = "out/ft_data_prep"
    sources: list[SourceSpec] = field(default_factory=lambda: [
        SourceSpec(name="ft", format="jsonl", paths=["data/sample/ft"])])
    dedup: bool = True  # drop exact duplicate examples (same prompt and response, or same messages)
    tokenize: dict[str, Any] = field(default_factory=lambda: {"tokenizer": MISSING, "max_seq_len": 2048,
                                                              "policy": "truncate"})
    split: dict[str, Any] = field(default_factory=lambda: {"eval_fraction": None, "seed": 0})
    # how shards are encoded (ShardFormat: compression, size_limit, hashes); the folder is <output>/mds
    mds: dict[str, Any] = field(default_factory=lambda: {"compression": "zstd"})
    # false: write prompt/response or messages, not token ids; with a tokenizer still drop what
    # llm-foundry's collator would reject at tokenize.max_seq_len (it truncates the rest the same way)
    write_tokens: bool = True


class Planned(NamedTuple):
    """What plan() builds before Spark starts: the stages and the sink that ends the run."""

    stages: list
    sink: FinetuneMDSSink


def plan(cfg: Config, origin: str) -> Planned:
    check_source_options(cfg.sources, origin=origin, reader=read_finetune,
                         set_by_job=frozenset({"source", "input_format"}))
    stages: list = [ExactDedup(lowercase=False, collapse_whitespace=False)] if cfg.dedup else []
    if to_plain(cfg.tokenize).get("tokenizer") is not None:
        stages.append(construct(TokenizeFinetune, to_plain(cfg.tokenize), key="tokenize", origin=origin))
    if to_plain(cfg.split).get("eval_fraction") is not None:
        stages.append(construct(SplitTrainEval, to_plain(cfg.split), key="split", origin=origin))
    shards = construct(ShardFormat, to_plain(cfg.mds), key="mds", origin=origin)
    sink = construct(FinetuneMDSSink, {"shards": shards, "write_tokens": cfg.write_tokens}, key="mds",
                     origin=origin)
    return Planned(stages, sink)


def run(cfg: Config, ctx: JobContext, planned: Planned) -> dict[str, Any]:
    docs = read_finetune_sources(ctx.spark, cfg.sources, work_dir=ctx.work_dir)
    result = ctx.run_pipeline(docs, planned.stages)
    max_seq_len = to_plain(cfg.tokenize).get("max_seq_len")
    stats = finetune_stats(result.annotated, max_seq_len=max_seq_len)
    tokenized = TURNS in result.kept.columns
    stats["written_as"] = "tokens" if tokenized and cfg.write_tokens else "text"
    stats["checked_against_max_seq_len"] = tokenized
    if not tokenized:
        log.warning("untokenized output not checked against max_seq_len: llm-foundry may reject samples at "
                    "train time; give tokenize.tokenizer with write_tokens=false to drop them here")
    ctx.report.extra["finetune"] = stats
    ctx.set_output(with_token_figures(planned.sink.write_to(result.kept, ctx.layout.mds_dir), stats))
    return ctx.finish()


def with_token_figures(output: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """The writer's figures with the finetuning token counts: the writer counts only a ``tokens`` column.

    ``None`` where nothing was tokenized, so an untokenized output never reads as holding 0 tokens.
    """
    by_split = stats.get("tokens_written_by_split", {})
    figures = {**output, "tokens": stats.get("tokens_written")}
    if "splits" in output:
        figures["splits"] = {name: {**split, "tokens": by_split.get(name)} for name, split in output["splits"].items()}
    return figures


if __name__ == "__main__":
    sys.exit(main("ft_data_prep", Config, plan, run))
