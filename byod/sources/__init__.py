"""Readers that turn raw inputs into one document frame (see :mod:`byod.sources.base`).

``read_source(spark, {"format": ..., "paths": ...})`` reads any of them from a config entry.
Imports are lazy (PEP 562) so importing one reader does not load the others' dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE: dict[str, str] = {
    "read_c4": "byod.sources.c4",
    "read_jsonl": "byod.sources.files",
    "read_parquet": "byod.sources.files",
    "read_text": "byod.sources.files",
    "read_csv": "byod.sources.files",
    "read_table": "byod.sources.files",
    "read_hf": "byod.sources.hf",
    "read_arxiv_latex": "byod.sources.arxiv_latex",
    "read_arxiv_pdf": "byod.sources.arxiv_pdf",
    "read_finetune": "byod.sources.finetune",
    "read_source": "byod.sources.spec",
    "split_rejected": "byod.sources.quarantine",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'byod.sources' has no attribute {name!r}")
