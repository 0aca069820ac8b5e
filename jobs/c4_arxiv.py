"""c4_arxiv: C4-style web pages and arXiv LaTeX -> cleaned, filtered, deduplicated, packed MDS shards.

    spark-submit jobs/c4_arxiv.py [--config FILE] [key=value ...]     or     byod run c4_arxiv ...
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from byod.config import construct, to_plain
from byod.job import JobContext, SourceSpec, main
from byod.registry import build_stages
from byod.stages import Tokenize, WriteMDS


@dataclass
class Config:
    output: str = "out/c4_arxiv"
    overwrite: bool = False
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
    mds: dict[str, Any] = field(default_factory=lambda: {"compression": "zstd"})
    spark_conf: dict[str, Any] = field(default_factory=dict)
    progress: bool | None = None  # Spark's console progress bar; None: on in a terminal, off in CI


def plan(cfg: Config, origin: str) -> tuple[list, Tokenize, WriteMDS]:
    stages = build_stages(to_plain(cfg.stages), key="stages", origin=origin)
    tokenize = construct(Tokenize, to_plain(cfg.tokenize), key="tokenize", origin=origin)
    tokenize.prepare()  # loads the tokenizer once on the driver: a bad tokenizer fails before Spark starts
    write = construct(WriteMDS, {"output": f"{cfg.output}/mds", "overwrite": cfg.overwrite, **to_plain(cfg.mds)},
                      key="mds", origin=origin)
    return stages, tokenize, write


def run(cfg: Config, ctx: JobContext, planned: tuple[list, Tokenize, WriteMDS]) -> dict[str, Any]:
    stages, tokenize, write = planned
    docs = ctx.read_sources(cfg.sources)
    kept = ctx.run_pipeline(docs, stages).kept
    ctx.write_mds(kept, tokenize, write)
    return ctx.finish()


if __name__ == "__main__":
    sys.exit(main("c4_arxiv", Config, plan, run))
