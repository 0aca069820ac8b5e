"""FineWeb's extra line rules (Penedo et al. 2024) as DataTrove 0.9.0's ``FineWebQualityFilter`` applies them."""

from __future__ import annotations

from dataclasses import dataclass

from byod.stages.quality.params import check_count, check_ratio
from byod.stages.quality.text import TERMINAL_PUNCTUATION, find_duplicates, split_words
from byod.stages.rules import RuleFilter

FINEWEB_EMPTY = "fineweb.empty"
FINEWEB_LINE_PUNCT_RATIO = "fineweb.line_punct_ratio"
FINEWEB_SHORT_LINE_RATIO = "fineweb.short_line_ratio"
FINEWEB_CHAR_DUP_RATIO = "fineweb.char_dup_ratio"
FINEWEB_LIST_RATIO = "fineweb.list_ratio"


@dataclass(frozen=True, kw_only=True)
class FineWebQualityFilter(RuleFilter):
    """Drop list-like, line-broken or self-repeating documents that C4 and Gopher let through.

    Over the non-blank lines, in order: drop a document with none; with fewer than
    ``min_terminal_punct_lines_ratio`` of lines ending in terminal punctuation; with more than
    ``max_short_lines_ratio`` of lines at most ``short_line_chars`` long; whose duplicate lines hold
    more than ``max_duplicate_line_chars_ratio`` of its non-newline characters; with more than
    ``max_newlines_per_word_ratio`` newlines per word. Paper: Penedo et al. 2024,
    https://arxiv.org/abs/2406.17557; reference: DataTrove 0.9.0 ``FineWebQualityFilter``.

    Args:
        min_terminal_punct_lines_ratio: fewest lines ending in one of ``stop_chars``; None turns it off.
        exclude_zero_punct_lines: keep documents where no line ends in punctuation (DataTrove's
            ``line_punct_exclude_zero``).
        stop_chars: line endings that count as terminal punctuation; None means Unicode sentence terminals.
        max_short_lines_ratio: most lines at most ``short_line_chars`` long; None turns it off.
        short_line_chars: the length (characters) at or under which a line is short.
        max_duplicate_line_chars_ratio: most characters in repeated lines; None turns it off.
        max_newlines_per_word_ratio: most newlines per word; None turns it off.

    Reason codes: ``fineweb.empty``, ``fineweb.line_punct_ratio``, ``fineweb.short_line_ratio``,
    ``fineweb.char_dup_ratio``, ``fineweb.list_ratio``.
    """

    min_terminal_punct_lines_ratio: float | None = 0.12
    exclude_zero_punct_lines: bool = False
    stop_chars: tuple[str, ...] | None = None
    max_short_lines_ratio: float | None = 0.67
    short_line_chars: int = 30
    max_duplicate_line_chars_ratio: float | None = 0.01
    max_newlines_per_word_ratio: float | None = 0.3

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("min_terminal_punct_lines_ratio", "max_short_lines_ratio", "max_duplicate_line_chars_ratio"):
            check_ratio(name, getattr(self, name))
        check_count("max_newlines_per_word_ratio", self.max_newlines_per_word_ratio)
        check_count("short_line_chars", self.short_line_chars)
        if self.stop_chars is not None and (
            isinstance(self.stop_chars, str) or not all(isinstance(c, str) and c for c in self.stop_chars)
        ):
            raise TypeError(f"stop_chars must be a tuple of non-empty strings or None, got {self.stop_chars!r}")

    def reason(self, text: str) -> str | None:
        """The first rule ``text`` fails, or None; pure Python, no Spark."""
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return FINEWEB_EMPTY
        if self.min_terminal_punct_lines_ratio is not None:
            if self.stop_chars is None:
                ended = sum(line[-1] in TERMINAL_PUNCTUATION for line in lines)
            else:
                ended = sum(line.endswith(self.stop_chars) for line in lines)
            ratio = ended / len(lines)
            if ratio < self.min_terminal_punct_lines_ratio and not (ratio == 0 and self.exclude_zero_punct_lines):
                return FINEWEB_LINE_PUNCT_RATIO
        if self.max_short_lines_ratio is not None:
            ratio = sum(len(line) <= self.short_line_chars for line in lines) / len(lines)
            if ratio > self.max_short_lines_ratio:
                return FINEWEB_SHORT_LINE_RATIO
        if self.max_duplicate_line_chars_ratio is not None:
            chars = len(text) - text.count("\n")
            if chars and find_duplicates(lines)[1] / chars > self.max_duplicate_line_chars_ratio:
                return FINEWEB_CHAR_DUP_RATIO
        if self.max_newlines_per_word_ratio is not None:
            words = len(split_words(text))
            if words == 0 or text.count("\n") / words > self.max_newlines_per_word_ratio:
                return FINEWEB_LIST_RATIO
        return None
