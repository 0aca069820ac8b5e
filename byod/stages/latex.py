"""arXiv LaTeX cleaning as RedPajama prepared arXiv: the body from the first section on, without noise.

Pure ``str -> str`` helpers first (tested without Spark), then the :class:`ArxivLatexClean` filter,
an :class:`~byod.stages.rules.EditFilter` whose base runs them over Arrow batches in one pandas UDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from byod.columns import TEXT
from byod.stages.rules import EditFilter

LATEX_NO_SECTIONS = "latex.no_sections"

#: Section-like commands; the document body starts at the first one (RedPajama's rule).
SECTION_RE = re.compile(r"\\(?:part|chapter|section|subsection|subsubsection|paragraph|subparagraph)\*?\s*[\[{]")
#: Where the bibliography starts: everything from here on is dropped when asked. A command name as an
#: argument (``\\DescribeMacro{\\printbibliography}`` in a manual) names it and is not a cut.
BIBLIOGRAPHY_RE = re.compile(
    r"\\begin\{thebibliography\}|\\bibliography\s*\{|\\printbibliography(?![A-Za-z]|\s*\})|"
    r"\\begin\{references\}|\\bibliographystyle\s*\{"
)
#: Where appendix-like trailers start.
APPENDIX_RE = re.compile(r"\\appendix(?![A-Za-z]|\s*\})|\\begin\{appendix\}|\\begin\{appendices\}")
END_DOCUMENT_RE = re.compile(r"\\end\{document\}")
#: Heads of argument-less macro definitions: \newcommand{\x}{, \newcommand\x{, \renewcommand*, \def\x{.
NEWCOMMAND_RE = re.compile(r"\\(?:re)?newcommand\*?\s*(?:\{\s*(\\[A-Za-z]+)\s*\}|(\\[A-Za-z]+))\s*(?=[{\[])")
DEF_RE = re.compile(r"\\def\s*(\\[A-Za-z]+)\s*(?=[{#])")
BLANK_RUN_RE = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
#: Rounds of macro expansion, so a macro defined through another one is expanded too.
EXPANSION_ROUNDS = 3
#: A round that makes the text more than this many times longer is undone (a macro bomb guard).
MAX_EXPANSION_RATIO = 4
#: Environments LaTeX prints as written (fancyvrb, listings, minted, Sweave), besides any ``...verbatim``
#: environment (``smallverbatim``, ``BVerbatim``) and those the document declares: protected from every
#: cut, comment and macro rule, and restored unchanged. ``filecontents`` is not one: it often holds the
#: very document a package manual shows, which is then read as the document.
VERBATIM_ENVS = ("lstlisting", "minted", "Sinput", "Soutput", "Scode")
_ANY_VERBATIM_ENV = r"[A-Za-z]*[Vv]erbatim\*?"
#: ``\DefineVerbatimEnvironment{name}`` (fancyvrb) and ``\lstnewenvironment{name}`` (listings).
DECLARED_ENV_RE = re.compile(r"\\(?:DefineVerbatimEnvironment|lstnewenvironment)\s*\{\s*([A-Za-z]+\*?)\s*\}")
#: ``\MakeShortVerb{\|}`` (doc, fancyvrb): ``|...|`` is then verbatim, until ``\DeleteShortVerb{\|}``.
SHORT_VERB_RE = re.compile(r"\\MakeShortVerb\*?\s*\{?\s*\\([^A-Za-z\s])")
DELETE_SHORT_VERB_RE = re.compile(r"\\DeleteShortVerb\s*\{?\s*\\([^A-Za-z\s])")


@lru_cache(maxsize=64)
def _mask_re(envs: tuple[str, ...], short: str) -> re.Pattern:
    """One left-to-right scan finds whichever comes first: inline verbatim (``\\verb<d>...<d>`` with any
    delimiter, ``\\verb*``, ``\\lstinline``, short verbs; never across a line end, as in LaTeX), a
    verbatim environment, an escaped character (``\\%`` and ``\\\\`` never start a comment) or a comment."""
    names = "|".join(re.escape(n) for n in sorted(envs, key=len, reverse=True))
    short_verb = f"|(?P<s>[{re.escape(short)}])[^\\n]*?(?P=s)" if short else ""
    return re.compile(
        r"(?P<inline>\\(?:verb\*?|lstinline(?:\[[^\]\n]*\])?)(?P<d>[^A-Za-z\s*])[^\n]*?(?P=d)" + short_verb + ")"
        r"|\\begin\{(?P<env>" + names + "|" + _ANY_VERBATIM_ENV + r")\}"
        r"|(?P<escape>\\[^A-Za-z])"
        r"|(?P<comment>%[^\n]*)"
    )


def _document_mask_re(text: str) -> re.Pattern:
    """The scan for this document: the standard verbatim forms plus the ones it declares."""
    envs = tuple(sorted(set(VERBATIM_ENVS) | set(DECLARED_ENV_RE.findall(text))))
    short = set(SHORT_VERB_RE.findall(text)) - set(DELETE_SHORT_VERB_RE.findall(text)) - {"%"}
    return _mask_re(envs, "".join(sorted(short)))


#: ``\title[short]{`` heads (the group itself is read with :func:`_group_end`), and the abstract.
TITLE_RE = re.compile(r"\\title(?![A-Za-z])\s*(?:\[[^\]]*\])?\s*(?=\{)")
ABSTRACT_RE = re.compile(r"\\begin\{abstract\}(.*?)\\end\{abstract\}", re.S)


def mask_verbatim(text: str) -> tuple[str, list[str], str]:
    """Drop comments and replace each verbatim span with a placeholder: (masked text, spans, sentinel).

    Comment-only lines go with their newline; a trailing ``% ...`` goes up to the newline. Inside
    verbatim nothing is a comment, a section, a cut or a macro; :func:`unmask_verbatim` puts it back.
    The placeholder is ``<sentinel><n><sentinel>`` with a private-use sentinel absent from the text.
    """
    sentinel = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)
    pieces: list[str] = []
    spans: list[str] = []
    pos = 0
    scan = _document_mask_re(text)
    while (match := scan.search(text, pos)) is not None:
        before = text[pos : match.start()]
        end = match.end()
        if match.group("comment") is not None:
            line_start = text.rfind("\n", 0, match.start()) + 1
            if not text[line_start : match.start()].strip(" \t"):  # a comment-only line goes whole
                before = before.rstrip(" \t")
                end += text.startswith("\n", end)
            pieces.append(before)
        elif match.group("escape") is not None:
            pieces.append(before + match.group())
        else:
            if match.group("env") is not None:
                close = text.find("\\end{" + match.group("env") + "}", end)
                end = len(text) if close < 0 else close + len(match.group("env")) + 6
            pieces.append(f"{before}{sentinel}{len(spans)}{sentinel}")
            spans.append(text[match.start() : end])
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces), spans, sentinel


def unmask_verbatim(text: str, spans: list[str], sentinel: str) -> str:
    """Put the verbatim spans :func:`mask_verbatim` took out back in place, as written."""
    if not spans:
        return text
    return re.sub(f"{sentinel}([0-9]+){sentinel}", lambda m: spans[int(m.group(1))], text)


def strip_comments(text: str) -> str:
    """Drop comment-only lines and trailing ``% ...`` comments; ``\\%`` is a percent sign and verbatim
    text (``\\verb|%|``, a ``verbatim`` environment) keeps its ``%``."""
    return unmask_verbatim(*mask_verbatim(text))


def front_matter(head: str) -> str:
    """``\\title{...}`` and the ``abstract`` environment found in ``head`` (the text before the first
    section), as LaTeX paragraphs to put above the body: RedPajama drops them, though they are dense text."""
    parts: list[str] = []
    for match in TITLE_RE.finditer(head):
        end = _group_end(head, match.end())
        if end is not None and head[match.end() + 1 : end - 1].strip():
            parts.append("\\title" + head[match.end() : end])
            break
    abstract = ABSTRACT_RE.search(head)
    if abstract is not None and abstract.group(1).strip():
        parts.append("\\begin{abstract}\n" + abstract.group(1).strip() + "\n\\end{abstract}")
    return "".join(part + "\n\n" for part in parts)


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
    text: str, *, drop_bibliography: bool = True, drop_appendix: bool = False, expand: bool = True,
    keep_front_matter: bool = True,
) -> tuple[str | None, str | None]:
    """Clean one LaTeX source: (cleaned text, None) or (None, reason code)."""
    text, spans, sentinel = mask_verbatim(text.replace("\r\n", "\n"))
    macros: dict[str, str] = {}
    if expand:
        macros, macro_spans = find_macros(text)
        for start, end in reversed(macro_spans):
            text = text[:start] + text[end:]
    first = SECTION_RE.search(text)
    if first is None:
        return None, LATEX_NO_SECTIONS
    front = front_matter(text[: first.start()]) if keep_front_matter else ""
    text = text[first.start() :]
    cuts = [END_DOCUMENT_RE]
    cuts += [BIBLIOGRAPHY_RE] if drop_bibliography else []
    cuts += [APPENDIX_RE] if drop_appendix else []
    for regex in cuts:
        match = regex.search(text)
        if match is not None:
            text = text[: match.start()]
    text = expand_macros(front + text, macros)
    text = BLANK_RUN_RE.sub("\n\n", text).strip()
    return unmask_verbatim(text, spans, sentinel) + "\n", None


@dataclass(frozen=True, kw_only=True)
class ArxivLatexClean(EditFilter):
    """Turn raw LaTeX into training text the way RedPajama prepared arXiv; drop documents without sections.

    Rules, in order: set verbatim text aside (``verbatim``/``Verbatim``/``lstlisting``/``minted``/Sweave
    environments, ``\\verb<d>...<d>``, ``\\verb*``, ``\\lstinline``), so nothing quoted in it is a comment,
    a section, a cut or a macro; drop comment lines and trailing comments; collect argument-less
    ``\\newcommand``/``\\renewcommand``/``\\def`` macros and remove their definitions; drop everything
    before the first section-like command (``\\part`` ... ``\\subparagraph``), or drop the document as
    ``latex.no_sections`` when there is none, except ``\\title{...}`` and the ``abstract`` environment,
    which go on top; cut at ``\\end{document}``, at the bibliography and at the appendix as configured;
    expand the macros; collapse runs of blank lines into one; put the verbatim text back as written.
    Maths stays LaTeX. RedPajama drops the title and abstract too; byod keeps them by default.
    Kept documents get the cleaned text; dropped ones keep their raw text, for analysis with
    ``keep_all=True``. Reason code: ``latex.no_sections``.

    Reference: RedPajama-Data ``data_prep/arxiv`` (Together, 2023), which cleans the same way.

    Args:
        drop_bibliography: cut from ``\\begin{thebibliography}``/``\\bibliography{``/``\\printbibliography``.
        drop_appendix: cut from ``\\appendix``/``\\begin{appendix}``/``\\begin{appendices}``.
        expand_macros: expand simple user macros (True) or leave them as written.
        keep_front_matter: put ``\\title{...}`` and the abstract above the body (False: RedPajama's rule).
        text_column: the column holding the LaTeX source, rewritten in place.
    """

    drop_bibliography: bool = True
    drop_appendix: bool = False
    expand_macros: bool = True
    keep_front_matter: bool = True
    text_column: str = TEXT

    def __post_init__(self) -> None:
        super().__post_init__()  # validates and freezes ``sources`` (a bare string is an error)
        for name in ("drop_bibliography", "drop_appendix", "expand_macros", "keep_front_matter", "keep_all"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if not isinstance(self.text_column, str) or not self.text_column:
            raise TypeError(f"text_column must be a non-empty string, got {self.text_column!r}")

    def edit(self, text: str) -> tuple[str | None, str | None]:
        """(cleaned text, None), or (None, ``latex.no_sections``); see :func:`clean_latex`."""
        return clean_latex(text, drop_bibliography=self.drop_bibliography, drop_appendix=self.drop_appendix,
                           expand=self.expand_macros, keep_front_matter=self.keep_front_matter)
