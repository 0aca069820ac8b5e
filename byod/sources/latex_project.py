r"""Multi-file LaTeX papers (arXiv's source layout): one document per paper, its included files in place.

An arXiv source is usually a tar.gz of several ``.tex`` files: a main file (``\documentclass`` and
``\begin{document}``) that pulls its sections in with ``\input``/``\include``. Read file by file,
each section is a document without a preamble (dropped as ``latex.no_sections`` or kept without
its title) and the main file is a preamble without its body. Here a paper becomes one document: the
main file with every included ``.tex`` file put where LaTeX would put it, recursively.

Rules (as LaTeX resolves names, run from the main file's folder):

- ``\input{x}`` reads ``x`` if that file exists, else ``x.tex``; ``\include{x}`` reads ``x.tex``;
  ``\subfile{x}`` (subfiles) reads the body of ``x``/``x.tex`` between its own ``\begin{document}``
  and ``\end{document}``; ``\import{dir/}{x}`` and ``\subimport{dir/}{x}`` (import) read ``dir/x``, the
  latter relative to the including file. Names are tried from the main file's folder, then from the
  including file's folder.
- Only ``.tex``/``.ltx`` files are put in: ``.bbl`` (the bibliography, which the cleaner cuts anyway),
  ``.tikz``/``.pgf`` drawings and tables of numbers stay a command the cleaner treats as any other.
- Commands in comments or inside verbatim (``\verb|\input{x}|`` in a manual) are not followed; a
  name that leaves the paper (``../x``, ``/etc/x``), a missing file, a file that includes itself,
  or nesting deeper than :data:`MAX_INCLUDE_DEPTH` leaves the command as written.
- The main file is the ``.tex`` file with ``\documentclass`` (or ``\documentstyle``) and
  ``\begin{document}`` that no other such file includes (a ``subfiles`` part is never one); among
  several, the shallowest, then the one with the most text after inlining, then the first by name.

Pure Python (tested without Spark); :mod:`byod.sources.arxiv_latex` runs it inside Spark tasks.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import re
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from byod.sources.quarantine import decode_utf8
from byod.stages.latex import mask_verbatim, unmask_verbatim

#: File names read as one paper each (a tar, compressed or not).
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
#: The same as a Hadoop glob, for listing folders.
ARCHIVE_GLOB = "*.{tar,tar.gz,tgz,tar.bz2,tar.xz}"
#: Files whose text is put in place of the command that includes them.
TEX_SUFFIXES = (".tex", ".ltx")
MAX_INCLUDE_DEPTH = 16

LATEX_NO_MAIN_FILE = "latex.no_main_file"
LATEX_UNREADABLE_ARCHIVE = "latex.unreadable_archive"
LATEX_PROJECT_TOO_LARGE = "latex.project_too_large"
LATEX_INVALID_ENCODING = "latex.invalid_encoding"

DOCUMENTCLASS_RE = re.compile(r"\\document(?:class|style)(?![A-Za-z])")
SUBFILES_CLASS_RE = re.compile(r"\\documentclass\s*(?:\[[^\]]*\])?\s*\{\s*subfiles\s*\}")
BEGIN_DOCUMENT_RE = re.compile(r"\\begin\s*\{document\}")
END_DOCUMENT_RE = re.compile(r"\\end\s*\{document\}")
#: ``\input{x}``, ``\input x``, ``\include{x}``, ``\subfile{x}``, ``\import{dir}{x}``, ``\subimport*{dir}{x}``.
INCLUDE_RE = re.compile(
    r"\\(?P<cmd>input|include|subfile)(?![A-Za-z@])\s*(?:\{(?P<braced>[^{}\n]*)\}|(?P<bare>[^\s{}\\%]+))"
    r"|\\(?P<imp>import|subimport|inputfrom|subinputfrom|includefrom|subincludefrom)\*?\s*"
    r"\{(?P<dir>[^{}\n]*)\}\s*\{(?P<file>[^{}\n]*)\}"
)


class ProjectError(Exception):
    """A paper that cannot become a document; ``reason`` is its reject code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Paper:
    """One paper read from an archive or a folder: the main file's name and the inlined text."""

    main: str
    text: str


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def is_tex(name: str) -> bool:
    return name.lower().endswith(TEX_SUFFIXES)


def inside_name(name: str) -> str | None:
    """A member or relative name as a path inside the paper, or None when it would leave it."""
    name = name.replace("\\", "/").strip()
    if not name or name.startswith("/"):
        return None
    normal = posixpath.normpath(name)
    return None if normal == ".." or normal.startswith("../") else normal.removeprefix("./")


def _candidates(command: str, name: str) -> list[str]:
    name = name.strip().strip('"')
    if command == "include" or is_tex(name):
        return [name if is_tex(name) else name + ".tex"]
    return [name, name + ".tex"]


def _body(text: str) -> str:
    """A subfiles part as its main file sees it: what lies between its ``\\begin{document}`` and end."""
    begin = BEGIN_DOCUMENT_RE.search(text)
    if begin is None:
        return text
    end = END_DOCUMENT_RE.search(text, begin.end())
    return text[begin.end() : end.start() if end else len(text)]


Masked = tuple[str, list[str], str]


class _Masks:
    """Each file masked once (comments out, verbatim held aside) however often the paper reads it."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self._done: dict[str, Masked] = {}

    def __getitem__(self, name: str) -> Masked:
        if name not in self._done:
            self._done[name] = mask_verbatim(self.texts[name])
        return self._done[name]


def _resolve(match: re.Match, current: str, base: str, texts: Mapping[str, str]) -> tuple[str | None, str]:
    """The file an include command in ``current`` names (None when not in the paper), and the command."""
    here = posixpath.dirname(current)
    if match.group("imp"):
        command = match.group("imp")
        folder = match.group("dir").strip()
        starts = [here] if command.startswith("sub") else ["", here]
        names = [posixpath.join(start, folder, n) for start in starts for n in _candidates("input", match.group("file"))]
    else:
        command = match.group("cmd")
        given = match.group("braced") if match.group("braced") is not None else match.group("bare")
        starts = [base, here] if here != base else [base]
        names = [posixpath.join(start, n) for start in starts for n in _candidates(command, given)]
    for name in names:
        inside = inside_name(name)
        if inside is not None and inside in texts:
            return inside, command
    return None, command


class _Inliner:
    """Puts included files in place, counting characters so an include bomb stops at ``max_chars``."""

    def __init__(self, masks: _Masks, main: str, max_chars: int) -> None:
        self.masks = masks
        self.base = posixpath.dirname(main)
        self.max_chars = max_chars
        self.written = 0

    def _count(self, text: str) -> str:
        self.written += len(text)
        if self.written > self.max_chars:
            raise ProjectError(LATEX_PROJECT_TOO_LARGE,
                               f"inlining included files passes {self.max_chars:,} characters (an include loop or bomb?)")
        return text

    def expand(self, name: str, stack: tuple[str, ...] = ()) -> str:
        masked, spans, sentinel = self.masks[name]
        pieces: list[str] = []
        pos = 0
        for match in INCLUDE_RE.finditer(masked):
            target, command = _resolve(match, name, self.base, self.masks.texts)
            if target is None or not is_tex(target) or target in stack or len(stack) >= MAX_INCLUDE_DEPTH:
                continue
            pieces.append(self._count(unmask_verbatim(masked[pos : match.start()], spans, sentinel)))
            included = self.expand(target, (*stack, name))
            pieces.append(_body(included) if command == "subfile" else included)
            pos = match.end()
        pieces.append(self._count(unmask_verbatim(masked[pos:], spans, sentinel)))
        return "".join(pieces)


def _is_main_candidate(masked: str) -> bool:
    return bool(DOCUMENTCLASS_RE.search(masked) and BEGIN_DOCUMENT_RE.search(masked)
                and not SUBFILES_CLASS_RE.search(masked))


def _included_by(masks: _Masks, name: str) -> set[str]:
    base = posixpath.dirname(name)
    return {t for m in INCLUDE_RE.finditer(masks[name][0])
            if (t := _resolve(m, name, base, masks.texts)[0]) is not None}


def inline_paper(texts: Mapping[str, str], *, max_chars: int) -> Paper:
    """The paper's main file with its includes inlined (see the module's rules).

    ``texts``: the paper's ``.tex`` files by their path inside it. Raises :class:`ProjectError`.
    """
    masks = _Masks(texts)
    candidates = sorted(name for name in texts if is_tex(name) and _is_main_candidate(masks[name][0]))
    if not candidates:
        shown = ", ".join(sorted(texts)[:5]) or "no .tex file"
        raise ProjectError(LATEX_NO_MAIN_FILE, f"no .tex file has \\documentclass and \\begin{{document}} ({shown})")
    included = set().union(*(_included_by(masks, name) for name in candidates))
    tops = [name for name in candidates if name not in included] or candidates
    papers = [Paper(name, _Inliner(masks, name, max_chars).expand(name)) for name in tops]
    return min(papers, key=lambda p: (p.main.count("/"), -len(p.text), p.main))


def archive_texts(data: bytes, *, max_bytes: int, decode: Callable[[bytes], str | None]) -> dict[str, str]:
    """The ``.tex`` files of a tar archive (any compression) by name; a gzipped single ``.tex`` file,
    as arXiv serves one-file papers, is one file named ``main.tex``. Raises :class:`ProjectError`."""
    texts: dict[str, str] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar:
                name = inside_name(member.name)
                if not member.isfile() or name is None or not is_tex(name):
                    continue  # links, folders, figures, .bbl, names that leave the paper
                total += member.size
                if total > max_bytes:
                    raise ProjectError(LATEX_PROJECT_TOO_LARGE, f"its .tex files pass {max_bytes:,} bytes")
                handle = tar.extractfile(member)
                texts[name] = decoded(handle.read() if handle else b"", name, decode)
    except tarfile.ReadError as error:
        single = _gunzipped(data, max_bytes)
        if single is None:
            raise ProjectError(LATEX_UNREADABLE_ARCHIVE, f"not a tar archive: {error}") from None
        return {"main.tex": decoded(single, "main.tex", decode)}
    except (OSError, EOFError, ValueError) as error:  # truncated or corrupt compression, bad headers
        raise ProjectError(LATEX_UNREADABLE_ARCHIVE, f"{type(error).__name__}: {error}") from None
    return texts


def _gunzipped(data: bytes, max_bytes: int) -> bytes | None:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            content = handle.read(max_bytes + 1)
    except (OSError, EOFError):
        return None
    if len(content) > max_bytes:
        raise ProjectError(LATEX_PROJECT_TOO_LARGE, f"its .tex file passes {max_bytes:,} bytes")
    return content


def decoded(data: bytes, name: str, decode: Callable[[bytes], str | None]) -> str:
    """A file's text, or the paper's rejection naming the file that is not text."""
    text = decode(data)
    if text is None:
        raise ProjectError(LATEX_INVALID_ENCODING, f"{name} is not UTF-8 and no fallback encoding was given")
    return text


def text_decoder(fallback_encoding: str | None) -> Callable[[bytes], str | None]:
    return lambda data: decode_utf8(data, fallback_encoding)
