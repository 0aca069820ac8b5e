"""Share of section text ArxivLatexClean keeps, per category, before and after verbatim-aware cleaning.

Reference, computed without the cleaner: the words of the source (runs of 2+ letters, not command
names, comments dropped) from its first section command to its *last* ``\\end{document}`` or to the
first bibliography command after its last section command, whichever comes first. Quoted
``\\end{document}``s come before the real one, so taking the last keeps this reference independent of
any verbatim parsing. Share kept = words of the reference found in the cleaned body (multiset
intersection, so expanded macros add nothing) / words of the reference. "Before" is the cleaner at
``--before`` (a git revision), "after" the working tree; both without front matter, so they compare
the body alone; the title/abstract column counts documents where the new cleaner put them on top.

    .venv/bin/python bench/latex_cleaning.py [--before 816ee91]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPORA, REPO  # noqa: E402

sys.path.insert(0, str(REPO))
from byod.stages.latex import clean_latex  # noqa: E402

SECTION = re.compile(r"\\(?:part|chapter|section|subsection|subsubsection|paragraph|subparagraph)\*?\s*[\[{]")
BIBLIOGRAPHY = re.compile(r"\\begin\{thebibliography\}|\\bibliography\s*\{|\\printbibliography")
WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
COMMENT = re.compile(r"(?m)(?<!\\)%.*$")


def reference_words(text: str) -> Counter:
    """Words of the section text, located without the cleaner (see the module docstring)."""
    text = COMMENT.sub("", text.replace("\r\n", "\n"))
    sections = list(SECTION.finditer(text))
    if not sections:
        return Counter()
    end = text.rfind("\\end{document}")
    end = len(text) if end < sections[0].start() else end
    bib = BIBLIOGRAPHY.search(text, sections[-1].end())
    end = min(end, bib.start()) if bib else end
    return Counter(WORD.findall(text[sections[0].start() : end]))


def load_cleaner(revision: str):
    """``clean_latex`` as it was at a git revision, loaded from ``git show`` into a scratch module."""
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{revision}:byod/stages/latex.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "latex_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("latex_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["latex_before"] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module.clean_latex


def documents() -> list[tuple[str, str, str]]:
    """(id, category, LaTeX) for the shared corpus and the repository's sample papers."""
    with gzip.open(CORPORA / "latex_meta.tsv.gz", "rt") as handle:
        header, *rows = [line.rstrip("\n").split("\t") for line in handle]
    category = {row[0]: row[header.index("category")] for row in rows}
    with gzip.open(CORPORA / "latex_public.jsonl.gz", "rt") as handle:
        records = [json.loads(line) for line in handle]
    docs = [(r["id"], category[r["id"]], r["text"]) for r in records]
    docs += [(p.name, "sample (data/sample)", p.read_text()) for p in sorted((REPO / "data/sample/arxiv").glob("*.tex"))]
    return docs


def share(reference: Counter, cleaned: str | None) -> float:
    if cleaned is None:
        return 0.0
    kept = reference & Counter(WORD.findall(cleaned))
    return sum(kept.values()) / sum(reference.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="816ee91", help="git revision of the cleaner to compare with")
    args = parser.parse_args()
    before = load_cleaner(args.before)
    rows: dict[str, list[tuple[float, float, bool]]] = defaultdict(list)
    for _doc_id, category, text in documents():
        reference = reference_words(text)
        if not reference:
            continue
        old = share(reference, before(text)[0])
        new = share(reference, clean_latex(text, keep_front_matter=False)[0])
        cleaned = clean_latex(text)[0] or ""
        rows[category].append((old, new, cleaned.startswith(("\\title{", "\\begin{abstract}"))))
    print("| category | documents | mean share before | mean share after | lose > 50% before | lose > 50% after "
          "| lose > 5% before | lose > 5% after | title/abstract on top |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for category in sorted(rows, key=lambda c: (c.startswith("sample"), c)) + ["all"]:
        values = rows[category] if category != "all" else [v for k, r in rows.items() if k[:6] != "sample" for v in r]
        n = len(values)
        print(f"| {category} | {n} | {sum(v[0] for v in values) / n:.1%} | {sum(v[1] for v in values) / n:.1%} "
              f"| {sum(v[0] < 0.5 for v in values)} | {sum(v[1] < 0.5 for v in values)} "
              f"| {sum(v[0] < 0.95 for v in values)} | {sum(v[1] < 0.95 for v in values)} | {sum(v[2] for v in values)} |")


if __name__ == "__main__":
    main()
