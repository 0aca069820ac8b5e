"""ArxivLatexClean on LaTeX that quotes LaTeX: verbatim text is never a cut, a comment or a macro; title
and abstract stay; ``sources=`` restricts the stage (issue 15's ``__post_init__`` bug)."""

from __future__ import annotations

import pytest

from byod.columns import DROP_REASON, SOURCE, TEXT
from byod.stages.latex import LATEX_NO_SECTIONS, ArxivLatexClean, clean_latex, mask_verbatim, unmask_verbatim

DOCUMENT = r"""\documentclass{article}
\newcommand{\R}{\mathbb{R}}
\title{Quoting \LaTeX{} in a Manual}
\begin{document}
\maketitle
\begin{abstract}
We show how a manual quotes markup.
\end{abstract}
\section{Usage}
Before the listing, $\R$.
QUOTED
After the listing, text that must survive. % a real comment
\section{More}
Closing words.
\bibliographystyle{plain}
\bibliography{refs}
\end{document}
"""

#: Each verbatim form LaTeX knows, quoting what used to cut a document short (and a comment and a macro).
QUOTES = {
    "verbatim": "\\begin{verbatim}\n\\bibliography{mine} % kept\n\\end{document}\n\\R\n\\end{verbatim}",
    "verbatim*": "\\begin{verbatim*}\n\\printbibliography\n\\end{document} % kept\n\\end{verbatim*}",
    "Verbatim": "\\begin{Verbatim}[frame=single]\n% kept\n\\bibliography{mine}\n\\end{document}\n\\end{Verbatim}",
    "lstlisting": "\\begin{lstlisting}[language=TeX]\n\\begin{thebibliography}{9}\n\\end{document}\n% kept\n"
                  "\\end{lstlisting}",
    "minted": "\\begin{minted}{latex}\n\\bibliography{mine} % kept\n\\end{document}\n\\end{minted}",
    "verb|": "Type \\verb|\\end{document}| and \\verb|\\bibliography{mine}| then \\verb|%| kept.",
    "verb+": "Type \\verb+\\end{document}+ or \\verb+\\bibliography{mine}% kept+.",
    "verb*": "Type \\verb*!\\end{document} % kept! and \\verb*|\\bibliography{mine}|.",
    "lstinline": "Type \\lstinline[language=TeX]|\\end{document}| and \\lstinline!\\bibliography{mine} % kept!.",
    "smallverbatim": "\\begin{smallverbatim}\n\\bibliography{mine} % kept\n\\end{document}\n\\end{smallverbatim}",
    "declared": "\\DefineVerbatimEnvironment{code}{Verbatim}{}\n\\begin{code}\n\\end{document} % kept\n\\end{code}",
    "shortverb": "\\MakeShortVerb{\\\"}\nType \"\\end{document}\" and \"\\bibliography{mine} % kept\".",
}


@pytest.mark.parametrize("form", list(QUOTES))
def test_quoted_end_and_bibliography_do_not_cut(form: str) -> None:
    quoted = QUOTES[form]
    text, reason = clean_latex(DOCUMENT.replace("QUOTED", quoted))
    assert reason is None
    assert quoted in text  # restored exactly as written: its \end{document}, \bibliography and % stay
    assert "After the listing, text that must survive. \n" in text  # the real comment is gone
    assert text.endswith("Closing words.\n")  # the real \bibliographystyle is where the cut happens
    assert "$\\mathbb{R}$" in text  # macros still expand outside verbatim


def test_verbatim_before_the_first_section_is_not_a_section() -> None:
    latex = "\\begin{document}\n\\begin{verbatim}\n\\section{Quoted}\n\\end{verbatim}\nIntro.\n\\section{Real}\nBody.\n"
    text, reason = clean_latex(latex)
    assert reason is None and text == "\\section{Real}\nBody.\n"
    only_quoted, reason = clean_latex("\\begin{verbatim}\n\\section{Quoted}\n\\end{verbatim}\n")
    assert only_quoted is None and reason == LATEX_NO_SECTIONS


def test_comments_and_escapes_around_verbatim() -> None:
    latex = "a \\% b % gone\n  % whole line\n\\verb|%| c\\\\% gone too\n\\verb|unclosed % gone\n"
    masked, spans, sentinel = mask_verbatim(latex)
    assert spans == ["\\verb|%|"] and "gone" not in masked and "whole line" not in masked
    assert unmask_verbatim(masked, spans, sentinel) == "a \\% b \n\\verb|%| c\\\\\n\\verb|unclosed \n"
    unclosed = "\\section{A}\nText.\n\\begin{verbatim}\n\\end{document} % never closed"
    assert clean_latex(unclosed)[0] == unclosed + "\n"  # an unclosed environment runs to the end, as LaTeX reads it


def test_command_names_as_arguments_do_not_cut() -> None:
    latex = "\\section{Macros}\n\\DescribeMacro{\\printbibliography} prints it; \\DescribeMacro{\\appendix} too.\n"
    assert clean_latex(latex, drop_appendix=True)[0] == latex
    assert clean_latex(latex + "\\printbibliography\n")[0] == latex


def test_sentinel_already_in_the_text() -> None:
    latex = "\\section{A}\n\ue000 private use \ue0000\ue000 \\verb|x| and \\verb|y|\n"
    assert clean_latex(latex)[0] == latex


def test_title_and_abstract_are_kept_on_top() -> None:
    text, reason = clean_latex(DOCUMENT.replace("QUOTED", ""))
    assert reason is None
    assert text.startswith(
        "\\title{Quoting \\LaTeX{} in a Manual}\n\n\\begin{abstract}\nWe show how a manual quotes markup.\n"
        "\\end{abstract}\n\n\\section{Usage}\n"
    )
    short = "\\title[Short]{Long {Nested} Title}\n\\section{S}\nBody.\n"
    assert clean_latex(short)[0] == "\\title{Long {Nested} Title}\n\n\\section{S}\nBody.\n"
    late = "\\section{S}\nBody.\n\\begin{abstract}Late.\\end{abstract}\n"
    assert clean_latex(late)[0] == late  # an abstract after the first section is body text, not moved
    assert clean_latex(DOCUMENT, keep_front_matter=False)[0].startswith("\\section{Usage}")


def test_sources_is_validated_and_hashable() -> None:
    with pytest.raises(TypeError, match="sources must be a list"):
        ArxivLatexClean(sources="arxiv")
    stage = ArxivLatexClean(sources=["arxiv"])
    assert stage.sources == ("arxiv",) and hash(stage) == hash(ArxivLatexClean(sources=("arxiv",)))
    with pytest.raises(TypeError, match="keep_front_matter must be a bool"):
        ArxivLatexClean(keep_front_matter="no")


def test_sources_restricts_the_stage(spark) -> None:
    df = spark.createDataFrame(
        [("a", "no sections, arxiv", "arxiv"), ("b", "no sections, web", "c4"),
         ("c", "\\section{S}\nText. % comment", "arxiv")],
        f"id string, {TEXT} string, {SOURCE} string",
    )
    rows = {r["id"]: r for r in ArxivLatexClean(sources=["arxiv"], keep_all=True)(df).collect()}
    assert rows["a"][DROP_REASON] == LATEX_NO_SECTIONS
    assert rows["b"][DROP_REASON] is None and rows["b"][TEXT] == "no sections, web"
    assert rows["c"][DROP_REASON] is None and rows["c"][TEXT] == "\\section{S}\nText.\n"
