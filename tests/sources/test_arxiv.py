"""arXiv readers: LaTeX (real corpus jsonl, sample .tex folder, Latin-1) and PDF (made, broken, encrypted)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pyspark.sql import functions as F

from byod.columns import ORIGIN, RAW, REJECT_REASON, SOURCE, TEXT
from byod.sources.arxiv_latex import read_arxiv_latex
from byod.sources.arxiv_pdf import PDF_ENCRYPTED, PDF_NO_TEXT, PDF_UNREADABLE, read_arxiv_pdf
from byod.sources.quarantine import PATH
from tests.conftest import SAMPLE

PDFS = Path(__file__).resolve().parent.parent / "data" / "sources" / "pdf"


def test_latex_corpus_jsonl(spark, corpora):
    df = read_arxiv_latex(spark, corpora / "latex_public.jsonl.gz")
    assert df.count() == 22 and df.filter(F.col(REJECT_REASON).isNotNull()).count() == 0
    assert df.filter(F.col(TEXT).contains("\\documentclass")).count() >= 10
    assert df.select(SOURCE).distinct().collect()[0][0] == "arxiv"


def test_latex_tex_folder_and_files(spark, tmp_path):
    folder = tmp_path / "paper"
    shutil.copytree(SAMPLE / "arxiv", folder)
    (folder / "figure.png").write_bytes(b"\x89PNG not text")
    (folder / "old.tex").write_bytes("\\section{Caf\xe9}\nLatin-1 body.\n".encode("latin-1"))
    df = read_arxiv_latex(spark, folder)
    rows = df.collect()
    assert len(rows) == 5 and all(r[REJECT_REASON] is None for r in rows)
    assert any(r[TEXT].startswith("\\section{Café}") for r in rows)
    strict = read_arxiv_latex(spark, [folder / "old.tex", folder / "cover-letter.tex"], fallback_encoding=None)
    assert sorted(r[REJECT_REASON] or "" for r in strict.collect()) == ["", "text.invalid_utf8"]


def test_pdf_reader(spark):
    df = read_arxiv_pdf(spark, PDFS)
    rows = {Path(r[PATH]).name: r for r in df.collect()}
    assert set(rows) == {"paper.pdf", "edit-protected.pdf", "encrypted.pdf", "broken.pdf", "blank.pdf"}
    assert rows["paper.pdf"][TEXT].startswith("Sparse signals can be recovered")
    assert rows["paper.pdf"][TEXT] == rows["edit-protected.pdf"][TEXT]
    assert rows["encrypted.pdf"][REJECT_REASON] == PDF_ENCRYPTED
    assert rows["broken.pdf"][REJECT_REASON] == PDF_UNREADABLE and rows["broken.pdf"][RAW]
    assert rows["blank.pdf"][REJECT_REASON] == PDF_NO_TEXT
    assert rows["broken.pdf"][ORIGIN] == str(PDFS / "broken.pdf")
    unlocked = read_arxiv_pdf(spark, PDFS / "encrypted.pdf", password="secret")
    assert unlocked.first()[TEXT].startswith("Sparse signals")
