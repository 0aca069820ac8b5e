r"""Multi-file LaTeX papers (issue 20): one document per archive or folder, ``\input``/``\include`` in place,
the main file chosen as arXiv's layout implies, hostile archives rejected with a reason."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from byod.columns import ID, REJECT_REASON, TEXT
from byod.errors import InputError
from byod.sources.arxiv_latex import read_arxiv_latex
from byod.sources.latex_project import (
    LATEX_INVALID_ENCODING,
    LATEX_NO_MAIN_FILE,
    LATEX_PROJECT_TOO_LARGE,
    LATEX_UNREADABLE_ARCHIVE,
    ProjectError,
    archive_texts,
    inline_paper,
    inside_name,
    text_decoder,
)
from byod.stages.latex import clean_latex

MAIN = r"""\documentclass{article}
\input{macros}
\title{Queues under bursty load}
\begin{document}
\maketitle
\begin{abstract}We bound the delay of a queue fed by bursts.\end{abstract}
\input{sections/intro}
\include{sections/method}
% \input{sections/old-draft}
\bibliography{refs}
\end{document}
"""
MACROS = r"\newcommand{\delay}{waiting time}" + "\n"
INTRO = r"""\section{Introduction}
Bursty arrivals make the \delay{} of a queue grow faster than its mean load suggests.
\input{sections/figure.tikz}
"""
METHOD = r"""\section{Method}
We couple each burst with a Poisson process and compare their tails.
\begin{verbatim}
\input{not-a-file}
\end{document}
\end{verbatim}
The coupling keeps the order of departures.
"""
PAPER = {"main.tex": MAIN, "macros.tex": MACROS, "sections/intro.tex": INTRO, "sections/method.tex": METHOD,
         "sections/old-draft.tex": r"\section{Old} draft text" + "\n", "sections/figure.tikz": r"\draw (0,0);",
         "refs.bbl": r"\begin{thebibliography}{1}\bibitem{a} A. \end{thebibliography}"}


def _tar(files: dict[str, str | bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_includes_are_inlined_where_latex_puts_them():
    paper = inline_paper(PAPER, max_chars=1 << 20)
    assert paper.main == "main.tex"
    text = paper.text
    assert text.index(r"\newcommand{\delay}") < text.index("Bursty arrivals") < text.index("We couple each burst")
    assert "Old} draft" not in text  # commented out: not followed
    assert r"\input{sections/figure.tikz}" in text and r"\draw" not in text  # drawings are not text
    assert r"\input{not-a-file}" in text  # inside verbatim: quoted, kept as written, not followed
    cleaned, reason = clean_latex(text)
    assert reason is None
    assert "Bursty arrivals make the waiting time" in cleaned  # the macro file took part
    assert "The coupling keeps the order of departures." in cleaned  # verbatim \end{document} cut nothing
    assert "We bound the delay of a queue fed by bursts." in cleaned


def test_file_by_file_the_sections_lose_their_paper():
    """What reading the same files one by one gives: the main file has no body, the method no title."""
    assert "Bursty arrivals" not in (clean_latex(MAIN)[0] or "")


@pytest.mark.parametrize("include, name", [
    (r"\input{parts/a}", "parts/a.tex"), (r"\input parts/a ", "parts/a.tex"), (r"\input{parts/a.tex}", "parts/a.tex"),
    (r"\include{parts/a}", "parts/a.tex"), (r"\import{parts/}{a}", "parts/a.tex"),
    (r'\input{"parts/a"}', "parts/a.tex"),
])
def test_include_forms(include, name):
    texts = {"main.tex": "\\documentclass{article}\\begin{document}\n" + include + "\n\\end{document}",
             name: "INCLUDED TEXT"}
    assert "INCLUDED TEXT" in inline_paper(texts, max_chars=10_000).text


def test_subimport_and_nested_includes_resolve_from_the_including_file():
    texts = {"paper/main.tex": "\\documentclass{book}\\begin{document}\\input{ch/one}\\end{document}",
             "paper/ch/one.tex": r"\section{One} see \subimport{sub/}{two}",
             "paper/ch/sub/two.tex": r"TWO \input{three}", "paper/three.tex": "THREE"}
    paper = inline_paper(texts, max_chars=10_000)
    assert paper.main == "paper/main.tex" and "see TWO THREE" in paper.text


def test_subfiles_part_contributes_its_body_only():
    texts = {"main.tex": "\\documentclass{article}\\begin{document}A \\subfile{part}\\end{document}",
             "part.tex": "\\documentclass[main]{subfiles}\\begin{document}PART BODY\\end{document}"}
    paper = inline_paper(texts, max_chars=10_000)
    assert paper.main == "main.tex" and paper.text.count(r"\end{document}") == 1 and "A PART BODY" in paper.text


def test_loops_escapes_and_depth_leave_the_command_as_written():
    texts = {"main.tex": "\\documentclass{article}\\begin{document}\\input{a} \\input{../etc/passwd}\\end{document}",
             "a.tex": r"A \input{b}", "b.tex": r"B \input{a}"}
    text = inline_paper(texts, max_chars=10_000).text
    assert "A B \\input{a}" in text and r"\input{../etc/passwd}" in text
    assert inside_name("../x") is None and inside_name("/etc/x") is None and inside_name("./a/../b.tex") == "b.tex"


def test_an_include_bomb_is_rejected_not_expanded():
    texts = {"main.tex": "\\documentclass{article}\\begin{document}" + r"\input{l1}" * 10 + "\\end{document}"}
    for level in range(1, 8):
        texts[f"l{level}.tex"] = (rf"\input{{l{level + 1}}}" * 10) if level < 7 else "x" * 100
    with pytest.raises(ProjectError) as error:
        inline_paper(texts, max_chars=1 << 20)
    assert error.value.reason == LATEX_PROJECT_TOO_LARGE


def test_main_file_is_the_one_nobody_includes_then_shallowest_then_longest():
    body = "\\begin{document}\\section{S} text\\end{document}"
    texts = {"b/response.tex": "\\documentclass{letter}" + body, "paper.tex": "\\documentclass{article}" + body,
             "supplement.tex": "\\documentclass{article}\\begin{document}\\section{S} much longer text here\\end{document}"}
    assert inline_paper(texts, max_chars=10_000).main == "supplement.tex"
    texts["paper.tex"] = "\\documentclass{article}\\begin{document}\\input{supplement}\\end{document}"
    assert inline_paper(texts, max_chars=10_000).main == "paper.tex"  # supplement is included by it
    with pytest.raises(ProjectError) as error:
        inline_paper({"intro.tex": r"\section{A} only a part"}, max_chars=10_000)
    assert error.value.reason == LATEX_NO_MAIN_FILE and "intro.tex" in str(error.value)


def test_archives_of_any_compression_and_arxivs_gzipped_single_file():
    decode = text_decoder("latin-1")
    for mode in ("w", "w:gz", "w:bz2", "w:xz"):
        assert set(archive_texts(_tar(PAPER, mode), max_bytes=1 << 20, decode=decode)) == {
            "main.tex", "macros.tex", "sections/intro.tex", "sections/method.tex", "sections/old-draft.tex"}
    single = archive_texts(gzip.compress(MAIN.encode()), max_bytes=1 << 20, decode=decode)
    assert single == {"main.tex": MAIN}


@pytest.mark.parametrize("data, reason", [
    (b"not an archive at all", LATEX_UNREADABLE_ARCHIVE),
    (_tar(PAPER)[:300], LATEX_UNREADABLE_ARCHIVE),
    (_tar({"main.tex": "x" * 5000}), LATEX_PROJECT_TOO_LARGE),
    (gzip.compress(b"y" * 5000), LATEX_PROJECT_TOO_LARGE),
    (_tar({"main.tex": b"\xff\xfe bad"}), LATEX_INVALID_ENCODING),
])
def test_hostile_archives_are_one_reason_each(data, reason):
    with pytest.raises(ProjectError) as error:
        archive_texts(data, max_bytes=4096, decode=text_decoder(None))
    assert error.value.reason == reason


def test_members_that_leave_the_paper_or_are_links_are_not_read():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in ("../evil.tex", "/abs.tex", "ok.tex"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
        link = tarfile.TarInfo("link.tex")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    assert archive_texts(buffer.getvalue(), max_bytes=1 << 20, decode=text_decoder(None)) == {"ok.tex": "abc"}


def test_reader_makes_one_document_per_paper(spark, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "2401.00001.tar.gz").write_bytes(_tar(PAPER))
    (tmp_path / "in" / "2401.00002.tgz").write_bytes(b"\x1f\x8b truncated")
    (tmp_path / "in" / "single.tex").write_text(MAIN.replace(r"\input{sections/intro}", r"\section{Only} text"))
    folder = tmp_path / "papers" / "p1"
    for name, text in PAPER.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    (tmp_path / "papers" / "p2").mkdir()
    (tmp_path / "papers" / "p2" / "notes.tex").write_text(r"\section{Notes} no main file here")

    rows = read_arxiv_latex(spark, [tmp_path / "in" / "*", tmp_path / "papers" / "*"], projects=True).collect()
    by_path = {r["path"].removeprefix(str(tmp_path) + "/"): r for r in rows}
    assert set(by_path) == {"in/2401.00001.tar.gz", "in/2401.00002.tgz", "in/single.tex", "papers/p1", "papers/p2"}
    for whole in ("in/2401.00001.tar.gz", "papers/p1"):
        assert by_path[whole][REJECT_REASON] is None and "We couple each burst" in by_path[whole][TEXT]
        assert "Bursty arrivals" in by_path[whole][TEXT]
    assert by_path["in/2401.00002.tgz"][REJECT_REASON] == LATEX_UNREADABLE_ARCHIVE
    assert by_path["papers/p2"][REJECT_REASON] == LATEX_NO_MAIN_FILE
    assert by_path["papers/p2"]["origin"] == str(tmp_path / "papers" / "p2")
    assert by_path["in/single.tex"][REJECT_REASON] is None
    # the same paper from an archive and from a folder is the same text; ids differ by path (the natural key)
    assert by_path["in/2401.00001.tar.gz"][TEXT] == by_path["papers/p1"][TEXT]
    assert len({r[ID] for r in rows}) == 5


def test_without_projects_a_folder_is_read_file_by_file_and_its_archives_as_papers(spark, tmp_path):
    for name, text in PAPER.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "paper.tar").write_bytes(_tar(PAPER, "w"))
    rows = read_arxiv_latex(spark, tmp_path).collect()
    assert len(rows) == 5 + 1  # five .tex files, one archive
    assert sum(1 for r in rows if r[TEXT] and "Bursty arrivals" in r[TEXT] and "We couple" in r[TEXT]) == 1


def test_a_paper_folder_without_tex_files_is_a_clear_error(spark, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "figure.png").write_bytes(b"\x89PNG")
    with pytest.raises(InputError, match=r"paper folder .*p' holds no file matching '\*\.tex'"):
        read_arxiv_latex(spark, tmp_path / "p", projects=True)
