"""c4_arxiv: C4-style web pages and arXiv LaTeX -> cleaned, filtered, deduplicated, packed MDS shards.

    spark-submit jobs/c4_arxiv.py [--config FILE] [key=value ...]     or     byod run c4_arxiv ...
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from omegaconf import MISSING

from byod.config import construct, to_plain
from byod.job import JobConfig, JobContext, SourceSpec, main
from byod.registry import build_stages
from byod.sinks import DocumentsSink, PretrainMDSSink
from byod.sources.spec import check_source_options
from byod.stages import Tokenize
from byod.stages.write import ShardFormat


@dataclass
class Config(JobConfig):
    output: str = "out/c4_arxiv"
    sources: list[SourceSpec] = field(default_factory=lambda: [
        SourceSpec(name="c4", format="c4", paths=["data/sample/c4"]),
        SourceSpec(name="arxiv", format="latex", paths=["data/sample/arxiv"]),
    ])
    stages: list[dict[str, Any]] = field(default_factory=lambda: [
        {"stage": "ArxivLatexClean", "sources": ["arxiv"]},
        {"stage": "Normalize"},
        {"stage": "C4QualityFilter", "sources": ["c4"]},
        {"stage": "GopherRepetitionFilter", "sources": ["c4"]},
        {"stage": "GopherQualityFilter", "sources": ["c4"]},
        {"stage": "Dedup"},
    ])
    tokenize: dict[str, Any] = field(default_factory=lambda: {"tokenizer": MISSING, "max_seq_len": 2048,
                                                              "eos_text": ""})
    # how shards are encoded (ShardFormat: compression, size_limit, hashes); the folder is <output>/mds
    mds: dict[str, Any] = field(default_factory=lambda: {"compression": "zstd"})
    # MDS split folders: mds/train, and mds/val with a held-out share of documents (by id and seed)
    split: dict[str, Any] = field(default_factory=lambda: {"val_fraction": None, "seed": 0})
    # also write the kept documents (id, text, metadata) as `{format: parquet}` or `{format: jsonl}`;
    # `dropped: true` adds the dropped ones with their drop_stage and drop_reason in <output>/dropped
    documents: dict[str, Any] | None = None
    # packages whose `pkg.module:Class` stages may be named in `stages` (importing a module runs its code)
    allow_stage_modules: list[str] = field(default_factory=list)


class Planned(NamedTuple):
    """What plan() builds before Spark starts: the stages and the sinks that end the run."""

    stages: list
    mds: PretrainMDSSink
    documents: DocumentsSink | None


def plan(cfg: Config, origin: str) -> Planned:
    check_source_options(cfg.sources, origin=origin)
    stages = build_stages(to_plain(cfg.stages), key="stages", origin=origin,
                          allowed_packages=[__name__, *cfg.allow_stage_modules])
    shards = construct(ShardFormat, to_plain(cfg.mds), key="mds", origin=origin)
    documents = None if cfg.documents is None else construct(DocumentsSink, to_plain(cfg.documents),
                                                             key="documents", origin=origin)
    tokenize = construct(Tokenize, to_plain(cfg.tokenize), key="tokenize", origin=origin)
    sink = construct(PretrainMDSSink, {"tokenize": tokenize, "shards": shards, **to_plain(cfg.split)}, key="split",
                     origin=origin)
    tokenize.prepare()  # last, the slow check: loads the tokenizer on the driver, so a bad one fails before Spark
    return Planned(stages, sink, documents)


def run(cfg: Config, ctx: JobContext, planned: Planned) -> dict[str, Any]:
    docs = ctx.read_sources(cfg.sources)
    result = ctx.run_pipeline(docs, planned.stages)
    if planned.documents is not None:
        ctx.write_documents(result, planned.documents)
    ctx.write_mds(result.kept, planned.mds)
    return ctx.finish()


if __name__ == "__main__":
    sys.exit(main("c4_arxiv", Config, plan, run))
