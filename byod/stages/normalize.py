"""Text clean-up before any rule looks at it: mojibake, line endings, invisible characters, NFC, spaces."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from byod.stages.rules import EditFilter

NORMALIZE_EMPTY = "normalize.empty"

# Mojibake: UTF-8 bytes decoded as cp1252/latin-1 ("cafÃ©", "â€™"). A run of two or more such
# characters is re-encoded and decoded as UTF-8; a run that does not decode cleanly stays as it is.
_CP1252_EXTRA = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_MOJIBAKE_RUN = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_EXTRA}]+")
_MOJIBAKE_HINT = re.compile(f"[\u00c2\u00c3\u00e2][\u0080-\u00bf{_CP1252_EXTRA}]")
# Line breaks other than \n that str.splitlines() also honours, so every rule sees the same lines.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Zero-width space, word joiner, BOM, soft hyphen. ZWJ/ZWNJ stay: they carry meaning in emoji and
# in Persian and Indic scripts.
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff\u00ad]")
_ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_TRAILING_SPACE = re.compile("[ \t]+(?=\n)|[ \t]+$")
_INNER_SPACE_RUN = re.compile("(?<=\\S) {2,}(?=\\S)")


def _repair_run(match: re.Match[str]) -> str:
    run = match.group()
    try:
        return run.encode("cp1252").decode("utf-8")
    except UnicodeError:
        try:
            return run.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return run


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 runs ("â€™" -> "’"); text without the telltale pairs is untouched."""
    if not _MOJIBAKE_HINT.search(text):
        return text
    return _MOJIBAKE_RUN.sub(_repair_run, text)


@dataclass(frozen=True, kw_only=True)
class Normalize(EditFilter):
    """Normalize text so later rules count lines, words and duplicates on clean input.

    Steps, in order, each optional: repair cheap mojibake (UTF-8 read as cp1252); turn ``\\r\\n``,
    ``\\r`` and the other Unicode line breaks into ``\\n``; drop control characters (tab and newline
    stay) and zero-width characters; Unicode normalization (NFC by default); turn exotic spaces into
    plain ones, strip trailing spaces, collapse inner runs of spaces (indentation stays) and runs of
    blank lines; strip the document's ends. A document left empty gets ``normalize.empty`` instead
    of vanishing silently (in a pipeline it is counted; alone, it is dropped).

    Args:
        unicode_form: "NFC" or "NFKC"; None skips Unicode normalization.
        fix_mojibake: repair UTF-8 text that was decoded as cp1252/latin-1.
        normalize_line_endings: map every line break to ``\\n``.
        remove_control_chars: drop C0/C1 control characters except tab and newline.
        remove_zero_width: drop zero-width space, word joiner, BOM and soft hyphen.
        normalize_spaces: exotic spaces to " ", strip trailing spaces, collapse inner space runs.
        max_blank_lines: longest run of blank lines kept; None keeps them all.

    Reason codes: ``normalize.empty``.
    """

    unicode_form: Literal["NFC", "NFKC"] | None = "NFC"
    fix_mojibake: bool = True
    normalize_line_endings: bool = True
    remove_control_chars: bool = True
    remove_zero_width: bool = True
    normalize_spaces: bool = True
    max_blank_lines: int | None = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.unicode_form not in ("NFC", "NFKC", None):
            raise ValueError(f"unicode_form must be 'NFC', 'NFKC' or None, got {self.unicode_form!r}")
        if self.max_blank_lines is not None and (
            not isinstance(self.max_blank_lines, int) or isinstance(self.max_blank_lines, bool)
            or self.max_blank_lines < 0
        ):
            raise ValueError(f"max_blank_lines must be a non-negative int or None, got {self.max_blank_lines!r}")

    def normalize(self, text: str) -> str:
        """The normalized text; pure Python, no Spark."""
        if self.fix_mojibake:
            text = repair_mojibake(text)
        if self.normalize_line_endings:
            text = _LINE_BREAKS.sub("\n", text)
        if self.remove_control_chars:
            text = _CONTROL.sub("", text)
        if self.remove_zero_width:
            text = _ZERO_WIDTH.sub("", text)
        if self.unicode_form is not None and not unicodedata.is_normalized(self.unicode_form, text):
            text = unicodedata.normalize(self.unicode_form, text)
        if self.normalize_spaces:
            text = _INNER_SPACE_RUN.sub(" ", _TRAILING_SPACE.sub("", _ODD_SPACES.sub(" ", text)))
        if self.max_blank_lines is not None:
            keep = "\n" * (self.max_blank_lines + 1)
            text = re.sub(f"\n{{{self.max_blank_lines + 2},}}", keep, text)
        return text.strip()

    def edit(self, text: str) -> tuple[str, str | None]:
        """(normalized text, None), or ``normalize.empty`` when nothing is left."""
        normalized = self.normalize(text)
        return normalized, (NORMALIZE_EMPTY if not normalized else None)
