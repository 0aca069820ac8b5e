"""C4's line and page rules (Raffel et al. 2020) as DataTrove 0.9.0's ``C4QualityFilter`` applies them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from byod.stages.quality.text import count_sentences
from byod.stages.rules import EditFilter

C4_LOREM_IPSUM = "c4.lorem_ipsum"
C4_CURLY_BRACKET = "c4.curly_bracket"
C4_TOO_FEW_SENTENCES = "c4.too_few_sentences"
C4_BAD_WORDS = "c4.bad_words"

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
END_PUNCTUATION = (".", "?", "!", '"', "'")
ELLIPSIS = "..."
POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


def load_bad_words(path: str | Path) -> tuple[str, ...]:
    """Words from a local file, one per line (blank lines ignored), lower-cased; nothing is downloaded."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"bad_words_path {str(file)!r} is not a file; give a local UTF-8 list, one word per line")
    words = {line.strip().lower() for line in file.read_text(encoding="utf-8").splitlines()}
    return tuple(sorted(w for w in words if w))


def bad_words_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """A word flanked by non-word characters or the text's ends (C4's rule for spaced languages)."""
    if not words:
        return None
    return re.compile(r"(?:\W|^)(?:{})(?:\W|$)".format("|".join(re.escape(w) for w in words)))


@dataclass(frozen=True, kw_only=True)
class C4QualityFilter(EditFilter):
    """Drop C4's boilerplate lines, then drop pages that are too short, placeholder text or code.

    Line by line (each stripped; in this order): drop a line with a word over ``max_word_chars``;
    remove citation markers (``[1]``, ``[edit]``, ``[citation needed]``); drop a line that does not end
    in ``. ? ! " '`` or ends in ``...``; drop a line under ``min_words_per_line`` words; drop the page if
    the line has "lorem ipsum"; drop a line with "javascript"; drop the page if the line has ``{``;
    drop a line with cookie/terms/privacy-policy phrases. Then drop the page when the kept lines hold
    fewer than ``min_sentences`` sentences, or (optional) when a bad word from a local list appears.
    Kept pages get the kept lines, joined by newlines, as their text. Paper: Raffel et al. 2020,
    https://jmlr.org/papers/v21/20-074.html; reference: DataTrove 0.9.0 ``C4QualityFilter``.

    Args:
        remove_citations: strip Wikipedia-style citation markers from lines.
        filter_no_terminal_punct: drop lines without terminal punctuation (FineWeb turns this off).
        min_sentences: drop pages whose kept lines hold fewer sentences; None turns the rule off.
        min_words_per_line: drop lines with fewer whitespace-separated words; None turns it off.
        max_word_chars: drop lines with a longer word (characters); None turns it off.
        filter_lorem_ipsum: drop pages with "lorem ipsum" in a kept-so-far line.
        filter_javascript: drop lines that mention "javascript".
        filter_curly_bracket: drop pages with ``{`` in a kept-so-far line.
        filter_policy: drop lines with cookie / terms-of-use / privacy-policy phrases.
        bad_words_path: a local file of bad words (one per line); pages containing one are dropped.
            None (default) turns the rule off. Nothing is downloaded.

    Reason codes: ``c4.lorem_ipsum``, ``c4.curly_bracket``, ``c4.too_few_sentences``, ``c4.bad_words``.
    """

    remove_citations: bool = True
    filter_no_terminal_punct: bool = True
    min_sentences: int | None = 5
    min_words_per_line: int | None = 3
    max_word_chars: int | None = 1000
    filter_lorem_ipsum: bool = True
    filter_javascript: bool = True
    filter_curly_bracket: bool = True
    filter_policy: bool = True
    bad_words_path: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("min_sentences", "min_words_per_line", "max_word_chars"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"{name} must be a non-negative int or None (rule off), got {value!r}")
        _ = self.bad_words  # read the list now: a missing file fails here, and workers get the pattern

    @cached_property
    def bad_words(self) -> re.Pattern[str] | None:
        """The pattern of the words in ``bad_words_path`` (None: rule off), read once on the driver."""
        return bad_words_pattern(load_bad_words(self.bad_words_path)) if self.bad_words_path is not None else None

    def edit(self, text: str) -> tuple[str, str | None]:
        """(cleaned text, None) for a kept document, (text, reason) for a dropped one; pure Python, no Spark."""
        sentences = 0
        kept: list[str] = []
        for raw in text.splitlines():
            line = raw.strip()
            words = line.split()
            if self.max_word_chars is not None and any(len(w) > self.max_word_chars for w in words):
                continue
            if self.remove_citations:
                line = CITATION.sub("", line)
            if self.filter_no_terminal_punct and (not line.endswith(END_PUNCTUATION) or line.endswith(ELLIPSIS)):
                continue
            if self.min_words_per_line is not None and len(words) < self.min_words_per_line:
                continue
            lowered = line.lower()
            if self.filter_lorem_ipsum and "lorem ipsum" in lowered:
                return text, C4_LOREM_IPSUM
            if self.filter_javascript and "javascript" in lowered:
                continue
            if self.filter_curly_bracket and "{" in line:
                return text, C4_CURLY_BRACKET
            if self.filter_policy and any(p in lowered for p in POLICY_SUBSTRINGS):
                continue
            if self.min_sentences is not None:
                sentences += count_sentences(line)
            kept.append(line)
        if self.min_sentences is not None and sentences < self.min_sentences:
            return text, C4_TOO_FEW_SENTENCES
        cleaned = "\n".join(kept).strip()
        if self.bad_words is not None and self.bad_words.search(cleaned.lower()):
            return text, C4_BAD_WORDS
        return cleaned, None
