"""byod's stages, importable by name: ``from byod.stages import Dedup``. Stages only: the bases a new
stage builds on live in :mod:`byod.stages.base` (``Stage``, ``Filter``) and :mod:`byod.stages.rules`
(``RuleFilter``, ``EditFilter``).

Imports are lazy (PEP 562), so importing one stage does not load every stage's dependencies
(fastText, tokenizers, the MDS writer).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE: dict[str, str] = {
    "Normalize": "byod.stages.normalize",
    "C4QualityFilter": "byod.stages.quality",
    "GopherQualityFilter": "byod.stages.quality",
    "GopherRepetitionFilter": "byod.stages.quality",
    "FineWebQualityFilter": "byod.stages.quality",
    "LanguageFilter": "byod.stages.language",
    "FastTextClassifierFilter": "byod.stages.classifier",
    "PIIRedact": "byod.stages.pii",
    "UrlFilter": "byod.stages.blocklists",
    "BadWordsFilter": "byod.stages.blocklists",
    "ArxivLatexClean": "byod.stages.latex",
    "ExactDedup": "byod.stages.dedup",
    "UrlDedup": "byod.stages.dedup",
    "MinHashDedup": "byod.stages.dedup",
    "Dedup": "byod.stages.dedup",
    "Decontaminate": "byod.stages.decontaminate",
    "ParagraphDedup": "byod.stages.paragraph_dedup",
    "Tokenize": "byod.stages.tokenize",
    "WriteMDS": "byod.stages.write",
    "ValidateFinetune": "byod.stages.finetune",
    "TokenizeFinetune": "byod.stages.finetune",
    "SplitTrainEval": "byod.stages.finetune",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'byod.stages' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
