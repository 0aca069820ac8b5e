"""arXiv LaTeX reader: raw ``.tex`` files (one document per file) or JSON lines of ``{"text", "id"}``.

Reading only; the RedPajama-style cleaning is the :class:`byod.stages.latex.ArxivLatexClean` stage,
so its drops are counted by the pipeline. Old arXiv sources are often Latin-1, hence the fallback.
"""

from __future__ import annotations

import os

from pyspark.sql import DataFrame, SparkSession

from byod.sources.files import Paths, read_jsonl, read_text, resolve_paths

#: File names read as JSON lines of LaTeX documents; anything else is a raw LaTeX file.
JSONL_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".jsonl.bz2")


def read_arxiv_latex(
    spark: SparkSession,
    paths: Paths,
    *,
    source: str = "arxiv",
    id_column: str | None = "id",
    fallback_encoding: str | None = "latin-1",
    tex_glob: str = "*.tex",
) -> DataFrame:
    """Read LaTeX documents into id, text, source, path and the bookkeeping columns.

    Args:
        paths: ``.tex`` files, folders of them (only names matching ``tex_glob`` are read), or JSON lines.
        id_column: JSON lines field holding the natural key (None: file and line).
        fallback_encoding: decoding for a ``.tex`` file that is not UTF-8; None rejects it as ``text.invalid_utf8``.
        tex_glob: file-name pattern for folders, e.g. ``"*.tex"`` or ``"*"`` for every file.
    """
    resolved, _ = resolve_paths(paths)
    jsonl = [p for p in resolved if p.lower().endswith(JSONL_SUFFIXES)]
    folders = [p for p in resolved if os.path.isdir(p)]
    tex = [p for p in resolved if p not in jsonl and p not in folders]
    frames = []
    if jsonl:
        frames.append(read_jsonl(spark, jsonl, text_column="text", id_column=id_column, source=source))
    if folders:
        frames.append(
            read_text(
                spark, folders, per="file", source=source, fallback_encoding=fallback_encoding, glob_filter=tex_glob
            )
        )
    if tex:
        frames.append(read_text(spark, tex, per="file", source=source, fallback_encoding=fallback_encoding))
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result
