"""arXiv LaTeX cleaning as RedPajama prepared arXiv: the body from the first section on, without noise.

Pure ``str -> str`` helpers first (tested without Spark), then the :class:`ArxivLatexClean` filter,
which runs them over Arrow batches in one pandas UDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from byod.columns import TEXT
from byod.stages.base import Filter, apply_edit, live_text, require_columns

LATEX_NO_SECTIONS = "latex.no_sections"

#: Section-like commands; the document body starts at the first one (RedPajama's rule).
SECTION_RE = re.compile(r"\\(?:part|chapter|section|subsection|subsubsection|paragraph|subparagraph)\*?\s*[\[{]")
#: Where the bibliography starts: everything from here on is dropped when asked.
BIBLIOGRAPHY_RE = re.compile(
    r"\\begin\{thebibliography\}|\\bibliography\s*\{|\\printbibliography|"
    r"\\begin\{references\}|\\bibliographystyle\s*\{"
)
#: Where appendix-like trailers start.
APPENDIX_RE = re.compile(r"\\appendix(?![A-Za-z])|\\begin\{appendix\}|\\begin\{appendices\}")
END_DOCUMENT_RE = re.compile(r"\\end\{document\}")
#: Whole-line comments (the line goes, newline included) and trailing comments after an unescaped %.
COMMENT_LINE_RE = re.compile(r"(?m)^[ \t]*%.*(?:\n|$)")
COMMENT_TAIL_RE = re.compile(r"(?m)^((?:[^%\\\n]|\\.)*)%.*$")
#: Heads of argument-less macro definitions: \newcommand{\x}{, \newcommand\x{, \renewcommand*, \def\x{.
NEWCOMMAND_RE = re.compile(r"\\(?:re)?newcommand\*?\s*(?:\{\s*(\\[A-Za-z]+)\s*\}|(\\[A-Za-z]+))\s*(?=[{\[])")
DEF_RE = re.compile(r"\\def\s*(\\[A-Za-z]+)\s*(?=[{#])")
BLANK_RUN_RE = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
#: Rounds of macro expansion, so a macro defined through another one is expanded too.
EXPANSION_ROUNDS = 3
#: A round that makes the text more than this many times longer is undone (a macro bomb guard).
MAX_EXPANSION_RATIO = 4


def strip_comments(text: str) -> str:
    """Drop comment-only lines and trailing ``% ...`` comments; ``\\%`` is a percent sign, kept."""
    text = COMMENT_LINE_RE.sub("", text)
    return COMMENT_TAIL_RE.sub(r"\1", text)


def _group_end(text: str, start: int) -> int | None:
    """Index just past the balanced ``{...}`` group opening at ``start``; None if it never closes."""
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return None


def find_macros(text: str) -> tuple[dict[str, str], list[tuple[int, int]]]:
    """Argument-less ``\\newcommand``/``\\renewcommand``/``\\def`` macros: {name: body} and their spans."""
    macros: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    heads = [(m.start(), m.end(), m.group(1) or m.group(2)) for m in NEWCOMMAND_RE.finditer(text)]
    heads += [(m.start(), m.end(), m.group(1)) for m in DEF_RE.finditer(text)]
    for start, body_start, name in sorted(heads):
        if text[body_start] != "{":  # [n] arguments or #1 parameters: not a simple macro
            continue
        end = _group_end(text, body_start)
        if end is None:
            continue
        body = text[body_start + 1 : end - 1]
        if "#" in body:
            continue
        macros[name] = body
        spans.append((start, end))
    return macros, spans


def expand_macros(text: str, macros: dict[str, str]) -> str:
    """Replace each use of a simple macro (``\\R`` but not ``\\Real``) with its body."""
    if not macros:
        return text
    names = sorted(macros, key=len, reverse=True)
    pattern = re.compile("(?:" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z])")
    limit = MAX_EXPANSION_RATIO * max(len(text), 1)
    for _ in range(EXPANSION_ROUNDS):
        expanded = pattern.sub(lambda m: macros[m.group(0)], text)
        if expanded == text or len(expanded) > limit:
            break
        text = expanded
    return text


def clean_latex(
    text: str, *, drop_bibliography: bool = True, drop_appendix: bool = False, expand: bool = True
) -> tuple[str | None, str | None]:
    """Clean one LaTeX source: (cleaned text, None) or (None, reason code)."""
    text = strip_comments(text.replace("\r\n", "\n"))
    macros: dict[str, str] = {}
    if expand:
        macros, spans = find_macros(text)
        for start, end in reversed(spans):
            text = text[:start] + text[end:]
    first = SECTION_RE.search(text)
    if first is None:
        return None, LATEX_NO_SECTIONS
    text = text[first.start() :]
    cuts = [END_DOCUMENT_RE]
    cuts += [BIBLIOGRAPHY_RE] if drop_bibliography else []
    cuts += [APPENDIX_RE] if drop_appendix else []
    for regex in cuts:
        match = regex.search(text)
        if match is not None:
            text = text[: match.start()]
    text = expand_macros(text, macros)
    return BLANK_RUN_RE.sub("\n\n", text).strip() + "\n", None


def _clean_batch(texts: pd.Series, *, drop_bibliography: bool, drop_appendix: bool, expand: bool) -> pd.DataFrame:
    """Clean a batch of texts; null in (a row out of play) gives null text and null reason."""
    cleaned: list[str | None] = []
    reasons: list[str | None] = []
    for value in texts:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            cleaned.append(None)
            reasons.append(None)
            continue
        text, reason = clean_latex(
            value, drop_bibliography=drop_bibliography, drop_appendix=drop_appendix, expand=expand
        )
        cleaned.append(text)
        reasons.append(reason)
    return pd.DataFrame({"text": cleaned, "reason": reasons})


@dataclass(frozen=True, kw_only=True)
class ArxivLatexClean(Filter):
    """Turn raw LaTeX into training text the way RedPajama prepared arXiv; drop documents without sections.

    Rules, in order: drop comment lines and trailing comments; collect argument-less
    ``\\newcommand``/``\\renewcommand``/``\\def`` macros and remove their definitions; drop everything
    before the first section-like command (``\\part`` ... ``\\subparagraph``), or drop the document as
    ``latex.no_sections`` when there is none; cut at ``\\end{document}``, at the bibliography and at the
    appendix as configured; expand the macros; collapse runs of blank lines into one. Maths stays LaTeX.
    Kept documents get the cleaned text; dropped ones keep their raw text, for analysis with
    ``keep_all=True``. Reason code: ``latex.no_sections``.

    Reference: RedPajama-Data ``data_prep/arxiv`` (Together, 2023), which cleans the same way.

    Args:
        drop_bibliography: cut from ``\\begin{thebibliography}``/``\\bibliography{``/``\\printbibliography``.
        drop_appendix: cut from ``\\appendix``/``\\begin{appendix}``/``\\begin{appendices}``.
        expand_macros: expand simple user macros (True) or leave them as written.
        text_column: the column holding the LaTeX source, rewritten in place.
    """

    drop_bibliography: bool = True
    drop_appendix: bool = False
    expand_macros: bool = True
    text_column: str = TEXT

    def __post_init__(self) -> None:
        for name in ("drop_bibliography", "drop_appendix", "expand_macros", "keep_all"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if not isinstance(self.text_column, str) or not self.text_column:
            raise TypeError(f"text_column must be a non-empty string, got {self.text_column!r}")

    def annotate(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, self.text_column)
        options = {
            "drop_bibliography": self.drop_bibliography,
            "drop_appendix": self.drop_appendix,
            "expand": self.expand_macros,
        }

        @F.pandas_udf("text string, reason string")
        def clean(texts: pd.Series) -> pd.DataFrame:
            return _clean_batch(texts, **options)

        result = "_byod_latex"
        return apply_edit(df.withColumn(result, clean(live_text(df, self.text_column))), result, self.text_column)
