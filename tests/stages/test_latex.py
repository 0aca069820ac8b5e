"""ArxivLatexClean: the pure cleaning rules on crafted LaTeX, the real LaTeX corpus, and the Spark stage."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from pyspark.sql import functions as F

from byod.columns import DROP_REASON, DROP_STAGE, REJECT_REASON, TEXT
from byod.sources.arxiv_latex import read_arxiv_latex
from byod.stages.latex import (
    LATEX_NO_SECTIONS,
    SECTION_RE,
    ArxivLatexClean,
    clean_latex,
    expand_macros,
    find_macros,
    mask_verbatim,
    strip_comments,
)
from tests.conftest import SAMPLE

PAPER = r"""\documentclass{article}
\newcommand{\R}{\mathbb{R}}
\newcommand\eps{\varepsilon}
\def\half{\frac{1}{2}}
\newcommand{\norm}[1]{\lVert #1 \rVert}
\def\pair#1{(#1)}
\title{Preamble title}
\begin{document}
\maketitle
\begin{abstract}An abstract before any section.\end{abstract}
% a whole-line comment
\section{Intro}
We work in $\R^n$ with $\eps > 0$ and $\norm{x}$; \Real is another macro. % trailing comment
Exactly 50\% of $\half$.\\% comment after a line break



\subsection*{Details}
Text of details.
\appendix
\section{Extra}
Appendix text.
\begin{thebibliography}{1}
\bibitem{a} A. Author.
\end{thebibliography}
\end{document}
After the end.
"""


def test_clean_paper_rules():
    text, reason = clean_latex(PAPER)
    assert reason is None
    front = "\\title{Preamble title}\n\n\\begin{abstract}\nAn abstract before any section.\n\\end{abstract}\n\n"
    assert text.startswith(front + r"\section{Intro}")  # preamble gone; title and abstract kept on top
    assert r"$\mathbb{R}^n$ with $\varepsilon > 0$" in text  # simple macros expanded, maths kept
    assert r"\norm{x}" in text and r"\Real is" in text  # macros with arguments and longer names untouched
    assert r"Exactly 50\% of $\frac{1}{2}$.\\" + "\n" in text
    assert "comment" not in text and "\n\n\n" not in text
    assert r"\section{Extra}" in text and "Appendix text." in text  # appendix kept by default
    assert "thebibliography" not in text and "After the end" not in text
    text, _ = clean_latex(PAPER, drop_appendix=True)
    assert "Appendix text." not in text and text.rstrip().endswith("Text of details.")
    text, _ = clean_latex(PAPER, drop_bibliography=False)
    assert r"\bibitem{a} A. Author." in text
    text, _ = clean_latex(PAPER, expand=False)
    assert r"$\R^n$" in text
    text, _ = clean_latex(PAPER, keep_front_matter=False)
    assert text.startswith(r"\section{Intro}")  # RedPajama's rule: everything before the first section goes


@pytest.mark.parametrize(
    ("latex", "reason"),
    [
        ("\\documentclass{letter}\n\\begin{document}Dear editor, thanks.\\end{document}\n", LATEX_NO_SECTIONS),
        ("% \\section{only in a comment}\nBody text.\n", LATEX_NO_SECTIONS),
        ("\\renewcommand{\\section}[1]{x}\nNo real sections.\n", LATEX_NO_SECTIONS),
        ("\\chapter{One}\nA chapter counts as a section.\n", None),
        ("\\subsection*{Notes} Starred and nested count too.", None),
    ],
)
def test_clean_reasons(latex, reason):
    text, got = clean_latex(latex)
    assert got == reason
    assert (text is None) == (reason is not None)


def test_helpers():
    assert strip_comments("a % c\n%full\nb \\% kept % gone\n") == "a \nb \\% kept \n"
    macros, spans = find_macros(r"\newcommand{\A}{\B x}\def\B{y}\newcommand{\C}[1]{#1}\def\D{\B{}}")
    assert macros == {r"\A": r"\B x", r"\B": "y", r"\D": r"\B{}"} and len(spans) == 3
    assert expand_macros(r"\A and \Ab", macros) == r"y x and \Ab"
    bomb = {r"\a": r"\b" * 50, r"\b": r"\c" * 50, r"\c": "x" * 50}
    assert len(expand_macros(r"\a", bomb)) < 4 * 50 * 50 + 1  # the growth guard stops the last round


def test_real_latex_corpus(corpora):
    kept = dropped = titled = 0
    with gzip.open(corpora / "latex_public.jsonl.gz", "rt") as lines:
        for line in lines:
            record = json.loads(line)
            text, reason = clean_latex(record["text"])
            if reason is not None:
                dropped += 1
                assert record["id"] == "tex-873c940cdc64"  # a reledmac example with no section at all
                continue
            kept += 1
            body = clean_latex(record["text"], keep_front_matter=False)[0]
            assert SECTION_RE.match(body) and "\n\n\n" not in body  # the body starts at a section
            front = text[: len(text) - len(body)]
            assert text.endswith(body) and (front == "" or front.startswith(("\\title{", "\\begin{abstract}")))
            titled += front.startswith("\\title{")
            outside_verbatim = mask_verbatim(text)[0]  # quoted bibliography commands stay (cje's guide)
            assert "\\begin{thebibliography}" not in outside_verbatim
            if "\\MakeShortVerb" not in record["text"]:  # short verbs are declared in the preamble, now cut
                assert re.search(r"\\printbibliography(?![A-Za-z}])", outside_verbatim) is None  # named, not called
            assert strip_comments(text) == text  # no comment left outside verbatim text
            assert len(text) < len(record["text"]) or record["id"] == "tex-0a4cde5dfe3a"  # xltabular's nested macros
    assert (kept, dropped) == (21, 1)
    assert titled >= 10, titled  # most files here have a \title before their first section


def test_stage_on_sample_papers(spark):
    df = read_arxiv_latex(spark, SAMPLE / "arxiv")
    kept = ArxivLatexClean()(df)
    firsts = sorted(r[TEXT].split("\n", 1)[0] for r in kept.collect())
    assert firsts == ["\\section{Introduction}", "\\title{A Short Note on Recovering Sparse Signals}",
                      "\\title{Waiting Times in a Single Server Queue with Bursty Arrivals}"]  # titles on top
    assert sorted(re.search(r"\\section\*?\{[^}]*\}", r[TEXT]).group() for r in kept.collect()) == [
        "\\section*{Overview}", "\\section{Introduction}", "\\section{Introduction}"]
    assert kept.count() == 3 and DROP_REASON not in kept.columns
    all_rows = ArxivLatexClean(keep_all=True)(df)
    reasons = dict(all_rows.groupBy(DROP_REASON).count().collect())
    assert reasons == {None: 3, LATEX_NO_SECTIONS: 1}
    letter = all_rows.filter(F.col(DROP_REASON) == LATEX_NO_SECTIONS).first()
    assert "\\documentclass{letter}" in letter[TEXT] and letter[DROP_STAGE] == "ArxivLatexClean"
    queue = kept.filter(F.col(TEXT).contains("Burstiness matters")).first()
    assert queue is not None and "\\mathbb{E}[W]" in queue[TEXT] and "\\lambda" in queue[TEXT]


def test_rows_out_of_play_are_untouched(spark):
    df = spark.createDataFrame(
        [
            ("a", "no sections here", None, None),
            ("b", None, "jsonl.bad_json", None),
            ("c", "raw, dropped earlier", None, "gopher.short_doc"),
        ],
        "id string, text string, reject_reason string, drop_reason string",
    )
    rows = {r["id"]: r for r in ArxivLatexClean().fold(df).collect()}
    assert rows["a"][DROP_REASON] == LATEX_NO_SECTIONS
    assert rows["b"][DROP_REASON] is None and rows["b"][REJECT_REASON] == "jsonl.bad_json"
    assert rows["c"][DROP_REASON] == "gopher.short_doc" and rows["c"][TEXT] == "raw, dropped earlier"


def test_validation():
    with pytest.raises(TypeError, match="drop_appendix must be a bool"):
        ArxivLatexClean(drop_appendix="yes")
    with pytest.raises(TypeError, match="text_column"):
        ArxivLatexClean(text_column="")
    assert ArxivLatexClean().params()["drop_bibliography"] is True
