"""Gopher's quality and repetition rules (Rae et al. 2021, table A1) as DataTrove 0.9.0 applies them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from byod.stages.quality.params import check_count, check_ratio
from byod.stages.quality.text import (
    PUNCTUATION,
    duplicate_ngram_chars,
    find_duplicates,
    split_words,
    top_ngram_chars,
)
from byod.stages.rules import RuleFilter

GOPHER_SHORT_DOC = "gopher.short_doc"
GOPHER_LONG_DOC = "gopher.long_doc"
GOPHER_BELOW_AVG_THRESHOLD = "gopher.below_avg_threshold"
GOPHER_ABOVE_AVG_THRESHOLD = "gopher.above_avg_threshold"
GOPHER_TOO_MANY_HASHES = "gopher.too_many_hashes"
GOPHER_TOO_MANY_ELLIPSIS = "gopher.too_many_ellipsis"
GOPHER_TOO_MANY_BULLETS = "gopher.too_many_bullets"
GOPHER_TOO_MANY_END_ELLIPSIS = "gopher.too_many_end_ellipsis"
GOPHER_BELOW_ALPHA_THRESHOLD = "gopher.below_alpha_threshold"
GOPHER_FEW_STOP_WORDS = "gopher.few_stop_words"
GOPHER_DUP_PARA_FRAC = "gopher.dup_para_frac"
GOPHER_DUP_PARA_CHAR_FRAC = "gopher.dup_para_char_frac"
GOPHER_DUP_LINE_FRAC = "gopher.dup_line_frac"
GOPHER_DUP_LINE_CHAR_FRAC = "gopher.dup_line_char_frac"
GOPHER_TOP_NGRAM = "gopher.top_ngram"
GOPHER_DUPLICATED_NGRAMS = "gopher.duplicated_ngrams"

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_LINE_BREAKS = re.compile(r"\n+")


@dataclass(frozen=True, kw_only=True)
class GopherQualityFilter(RuleFilter):
    """Drop documents whose word statistics look unlike prose (Gopher's quality heuristics).

    Rules, in order: fewer than ``min_words`` or more than ``max_words`` non-symbol words; mean
    non-symbol word length outside [``min_avg_word_chars``, ``max_avg_word_chars``]; ``#`` or ellipses
    per word above ``max_symbol_word_ratio``; more than ``max_bullet_lines_ratio`` of lines starting
    with a bullet (``•``/``-``) or ``max_ellipsis_lines_ratio`` ending in an ellipsis; fewer than
    ``min_alpha_words_ratio`` of words with a letter; fewer than ``min_stop_words`` distinct stop words.
    Words are spaCy-like English tokens (see :func:`byod.stages.quality.text.split_words`).
    Paper: Rae et al. 2021, https://arxiv.org/abs/2112.11446; reference: DataTrove 0.9.0
    ``GopherQualityFilter``. ``None`` turns any rule off.

    Args:
        min_words: fewest non-symbol words.
        max_words: most non-symbol words.
        min_avg_word_chars: lowest mean word length, characters.
        max_avg_word_chars: highest mean word length, characters.
        max_symbol_word_ratio: most ``#`` (and, separately, ``...``/``…``) per word.
        max_bullet_lines_ratio: largest fraction of lines starting with a bullet.
        max_ellipsis_lines_ratio: largest fraction of lines ending in an ellipsis.
        min_alpha_words_ratio: smallest fraction of words with a letter (DataTrove's
            ``max_non_alpha_words_ratio``, which is a minimum).
        min_stop_words: fewest distinct stop words present (case-sensitive, as in DataTrove).
        stop_words: the stop-word list.

    Reason codes: ``gopher.short_doc``, ``gopher.long_doc``, ``gopher.below_avg_threshold``,
    ``gopher.above_avg_threshold``, ``gopher.too_many_hashes``, ``gopher.too_many_ellipsis``,
    ``gopher.too_many_bullets``, ``gopher.too_many_end_ellipsis``, ``gopher.below_alpha_threshold``,
    ``gopher.few_stop_words`` (DataTrove's ``gopher_enough_stop_words``, which fires on too few).
    """

    min_words: int | None = 50
    max_words: int | None = 100_000
    min_avg_word_chars: float | None = 3
    max_avg_word_chars: float | None = 10
    max_symbol_word_ratio: float | None = 0.1
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    min_alpha_words_ratio: float | None = 0.8
    min_stop_words: int | None = 2
    stop_words: tuple[str, ...] = STOP_WORDS

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("min_words", "max_words", "min_avg_word_chars", "max_avg_word_chars", "min_stop_words"):
            check_count(name, getattr(self, name))
        for name in ("max_bullet_lines_ratio", "max_ellipsis_lines_ratio", "min_alpha_words_ratio"):
            check_ratio(name, getattr(self, name))
        check_count("max_symbol_word_ratio", self.max_symbol_word_ratio)
        if isinstance(self.stop_words, str) or not all(isinstance(w, str) for w in self.stop_words):
            raise TypeError(f"stop_words must be a tuple of strings, got {self.stop_words!r}")

    def reason(self, text: str) -> str | None:
        """The first rule ``text`` fails, or None; pure Python, no Spark."""
        words = split_words(text)
        n_words = len(words)
        content = [w for w in words if not PUNCTUATION.issuperset(w)]
        if self.min_words is not None and len(content) < self.min_words:
            return GOPHER_SHORT_DOC
        if self.max_words is not None and len(content) > self.max_words:
            return GOPHER_LONG_DOC
        if content:
            mean = sum(len(w) for w in content) / len(content)
            if self.min_avg_word_chars is not None and mean < self.min_avg_word_chars:
                return GOPHER_BELOW_AVG_THRESHOLD
            if self.max_avg_word_chars is not None and mean > self.max_avg_word_chars:
                return GOPHER_ABOVE_AVG_THRESHOLD
        if self.max_symbol_word_ratio is not None and n_words:
            if text.count("#") / n_words > self.max_symbol_word_ratio:
                return GOPHER_TOO_MANY_HASHES
            if (text.count("...") + text.count("…")) / n_words > self.max_symbol_word_ratio:
                return GOPHER_TOO_MANY_ELLIPSIS
        lines = text.splitlines()
        if lines:
            if self.max_bullet_lines_ratio is not None:
                bullets = sum(line.lstrip().startswith(("•", "-")) for line in lines)
                if bullets / len(lines) > self.max_bullet_lines_ratio:
                    return GOPHER_TOO_MANY_BULLETS
            if self.max_ellipsis_lines_ratio is not None:
                ellipses = sum(line.rstrip().endswith(("...", "…")) for line in lines)
                if ellipses / len(lines) > self.max_ellipsis_lines_ratio:
                    return GOPHER_TOO_MANY_END_ELLIPSIS
        if self.min_alpha_words_ratio is not None:
            alpha = sum(any(c.isalpha() for c in w) for w in words)
            if (alpha / n_words if n_words else 0.0) < self.min_alpha_words_ratio:
                return GOPHER_BELOW_ALPHA_THRESHOLD
        if self.min_stop_words is not None and len(set(self.stop_words).intersection(words)) < self.min_stop_words:
            return GOPHER_FEW_STOP_WORDS
        return None


@dataclass(frozen=True, kw_only=True)
class GopherRepetitionFilter(RuleFilter):
    """Drop documents that repeat themselves: duplicate paragraphs, lines and word n-grams.

    Rules, in order (fractions of the document's characters unless said otherwise): duplicate
    paragraphs (split on blank lines) as a fraction of paragraphs, then of characters; duplicate
    lines as a fraction of lines, then of characters; for each ``(n, ratio)`` in
    ``max_top_ngram_chars_ratios`` the characters of the most frequent word n-gram times its count;
    for each ``(n, ratio)`` in ``max_duplicated_ngram_chars_ratios`` the characters of n-grams already
    seen. Paper: Rae et al. 2021 table A1; reference: DataTrove 0.9.0 ``GopherRepetitionFilter``.
    ``None`` turns a rule off; an empty tuple turns off an n-gram family.

    Args:
        max_duplicate_paragraphs_ratio: duplicate paragraphs / paragraphs.
        max_duplicate_paragraph_chars_ratio: characters in duplicate paragraphs / characters.
        max_duplicate_lines_ratio: duplicate lines / lines.
        max_duplicate_line_chars_ratio: characters in duplicate lines / characters.
        max_top_ngram_chars_ratios: ``(n, ratio)`` pairs for the most frequent n-gram.
        max_duplicated_ngram_chars_ratios: ``(n, ratio)`` pairs for repeated n-grams.

    Reason codes: ``gopher.dup_para_frac``, ``gopher.dup_para_char_frac``, ``gopher.dup_line_frac``,
    ``gopher.dup_line_char_frac``, ``gopher.top_ngram``, ``gopher.duplicated_ngrams``.
    """

    max_duplicate_paragraphs_ratio: float | None = 0.3
    max_duplicate_paragraph_chars_ratio: float | None = 0.2
    max_duplicate_lines_ratio: float | None = 0.3
    max_duplicate_line_chars_ratio: float | None = 0.2
    max_top_ngram_chars_ratios: tuple[tuple[int, float], ...] = ((2, 0.20), (3, 0.18), (4, 0.16))
    max_duplicated_ngram_chars_ratios: tuple[tuple[int, float], ...] = (
        (5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10),
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("max_duplicate_paragraphs_ratio", "max_duplicate_paragraph_chars_ratio",
                     "max_duplicate_lines_ratio", "max_duplicate_line_chars_ratio"):
            check_ratio(name, getattr(self, name))
        for name in ("max_top_ngram_chars_ratios", "max_duplicated_ngram_chars_ratios"):
            for pair in getattr(self, name):
                if len(pair) != 2 or not isinstance(pair[0], int) or pair[0] < 1:
                    raise ValueError(f"{name} must hold (n >= 1, ratio) pairs, got {pair!r}")
                check_ratio(name, pair[1])

    def reason(self, text: str) -> str | None:
        """The first rule ``text`` fails, or None; pure Python, no Spark. Empty text is kept."""
        size = len(text)
        if size == 0:
            return None
        paragraphs = _PARAGRAPH_BREAK.split(text.strip())
        duplicates, chars = find_duplicates(paragraphs)
        limit = self.max_duplicate_paragraphs_ratio
        if limit is not None and duplicates / len(paragraphs) > limit:
            return GOPHER_DUP_PARA_FRAC
        limit = self.max_duplicate_paragraph_chars_ratio
        if limit is not None and chars / size > limit:
            return GOPHER_DUP_PARA_CHAR_FRAC
        lines = _LINE_BREAKS.split(text)
        duplicates, chars = find_duplicates(lines)
        if self.max_duplicate_lines_ratio is not None and duplicates / len(lines) > self.max_duplicate_lines_ratio:
            return GOPHER_DUP_LINE_FRAC
        if self.max_duplicate_line_chars_ratio is not None and chars / size > self.max_duplicate_line_chars_ratio:
            return GOPHER_DUP_LINE_CHAR_FRAC
        words = split_words(text)
        for n, ratio in self.max_top_ngram_chars_ratios:
            if len(words) >= n and top_ngram_chars(words, n) / size > ratio:
                return GOPHER_TOP_NGRAM
        for n, ratio in self.max_duplicated_ngram_chars_ratios:
            if duplicate_ngram_chars(words, n) / size > ratio:
                return GOPHER_DUPLICATED_NGRAMS
        return None
