"""Multi-file papers: section text kept when a paper comes as a main file plus one file per section.

The real LaTeX of ``../shared/corpora`` and ``data/sample/arxiv`` is single-file, so each document
with two or more ``\\section`` commands is split the way arXiv authors split theirs: ``main.tex``
keeps the preamble, title, abstract and the tail (bibliography, ``\\end{document}``) and reads
``sections/sK.tex`` with ``\\input``. Then, per paper:

- file by file (byod's reader before issue 20, and ``projects=false`` on a folder): the main file's
  document, cleaned by ``clean_latex``; the sections become documents of their own without a title;
- as a project (an archive, or a folder with ``projects=true``): ``inline_paper`` then ``clean_latex``.

Share kept = reference words (bench/latex_cleaning.py's definition) found in the paper's cleaned
document. "same words" counts papers whose project document has exactly the words of the
single-file original's cleaned document. Pure Python, no Spark:

    .venv/bin/python bench/latex_projects.py
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latex_cleaning import WORD, documents, reference_words, share  # noqa: E402

from byod.sources.latex_project import inline_paper  # noqa: E402
from byod.stages.latex import clean_latex, mask_verbatim, unmask_verbatim  # noqa: E402

TOP_SECTION = re.compile(r"\\section\*?\s*[\[{]")
END_DOCUMENT = re.compile(r"\\end\{document\}")


def split_paper(text: str) -> dict[str, str] | None:
    """The paper as main.tex + one file per section, or None when it has fewer than two sections."""
    masked, spans, sentinel = mask_verbatim(text)
    starts = [m.start() for m in TOP_SECTION.finditer(masked)]
    end = END_DOCUMENT.search(masked, starts[-1]) if starts else None
    if len(starts) < 2 or end is None:
        return None
    bounds = [*starts, end.start()]
    files = {"main.tex": ""}
    main = [masked[: starts[0]]]
    for k, (start, stop) in enumerate(zip(bounds, bounds[1:], strict=False), 1):
        files[f"sections/s{k}.tex"] = unmask_verbatim(masked[start:stop], spans, sentinel)
        main.append(f"\\input{{sections/s{k}}}\n")
    main.append(masked[end.start() :])
    files["main.tex"] = unmask_verbatim("".join(main), spans, sentinel)
    return files


def main() -> None:
    rows: dict[str, list[tuple[float, float, bool, int]]] = defaultdict(list)
    for _doc_id, category, text in documents():
        files = split_paper(text)
        reference = reference_words(text)
        if files is None or not reference:
            continue
        alone = share(reference, clean_latex(files["main.tex"])[0])
        project = clean_latex(inline_paper(files, max_chars=64 << 20).text)[0]
        original = clean_latex(text)[0]
        same = Counter(WORD.findall(project or "")) == Counter(WORD.findall(original or ""))
        rows[category].append((alone, share(reference, project), same, len(files)))
    print("| category | papers | files per paper | share in the paper's document, file by file "
          "| as a project | same words as the one-file paper |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for category in sorted(rows, key=lambda c: (c.startswith("sample"), c)) + ["all"]:
        values = rows[category] if category != "all" else [v for r in rows.values() for v in r]
        n = len(values)
        print(f"| {category} | {n} | {sum(v[3] for v in values) / n:.1f} | {sum(v[0] for v in values) / n:.1%} "
              f"| {sum(v[1] for v in values) / n:.1%} | {sum(v[2] for v in values)}/{n} |")


if __name__ == "__main__":
    main()
