"""arXiv LaTeX reader: raw ``.tex`` files, whole papers (archives or folders), or JSON lines of ``{"text", "id"}``.

Reading only; the RedPajama-style cleaning is the :class:`byod.stages.latex.ArxivLatexClean` stage,
so its drops are counted by the pipeline. Old arXiv sources are often Latin-1, hence the fallback.
A paper in several files (arXiv's tar.gz, or a folder with ``projects=True``) is one document with its
``\\input``/``\\include`` files in place (:mod:`byod.sources.latex_project`); a paper that cannot be
read that way is one rejected record with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from byod.errors import ConfigError, InputError
from byod.sources.files import Paths, read_jsonl, read_text, resolve_paths
from byod.sources.latex_project import (
    ARCHIVE_GLOB,
    LATEX_PROJECT_TOO_LARGE,
    ProjectError,
    archive_texts,
    decoded,
    inline_paper,
    inside_name,
    is_archive,
    text_decoder,
)
from byod.sources.probe import DEFAULT_MAX_RECORD_BYTES
from byod.sources.quarantine import PATH, finish_frame, local_path, relative_key, truncate_raw
from byod.sources.records import BASE_FIELDS, output_schema, rows_to_batch
from byod.sources.scan import literal_path
from byod.sources.walk import walk_files

#: File names read as JSON lines of LaTeX documents; anything else is a raw LaTeX file.
JSONL_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".jsonl.bz2")
_PROJECT = "_byod_project"


def read_arxiv_latex(
    spark: SparkSession,
    paths: Paths,
    *,
    source: str = "arxiv",
    id_column: str | None = "id",
    fallback_encoding: str | None = "latin-1",
    tex_glob: str = "*.tex",
    projects: bool = False,
    max_project_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> DataFrame:
    """Read LaTeX documents into id, text, source, path and the bookkeeping columns.

    Args:
        paths: ``.tex`` files, folders of them (only names matching ``tex_glob`` are read), tar archives
            of one paper each (``.tar``, ``.tar.gz``, ``.tgz``, ...; also found inside folders), or JSON lines.
        id_column: JSON lines field holding the natural key (None: file and line).
        fallback_encoding: decoding for a ``.tex`` file that is not UTF-8; None rejects it as ``text.invalid_utf8``.
        tex_glob: file-name pattern for folders, e.g. ``"*.tex"`` or ``"*"`` for every file.
        projects: each local folder given (or matched by a glob: ``papers/*``) is one paper whose files
            are put together, instead of one document per ``.tex`` file (on Databricks, ``/Volumes/...``
            is local). A path on object storage is read as given, one document per file: give one
            archive per paper there.
        max_project_bytes: a paper whose ``.tex`` files, or whose text after inlining, pass this is
            rejected as ``latex.project_too_large``.
    """
    if not isinstance(projects, bool):
        raise ConfigError(f"projects must be true or false, got {projects!r}")
    resolved, root = resolve_paths(paths)
    jsonl = [p for p in resolved if p.lower().endswith(JSONL_SUFFIXES)]
    archives = [p for p in resolved if is_archive(p)]
    folders = [p for p in resolved if os.path.isdir(p)]
    tex = [p for p in resolved if p not in jsonl and p not in folders and p not in archives]
    archives += [f for f in _archives_in(folders) if f not in archives]
    frames = []
    if jsonl:
        frames.append(read_jsonl(spark, jsonl, text_column="text", id_column=id_column, source=source))
    if folders and not projects:
        frames.append(
            read_text(
                spark, folders, per="file", source=source, fallback_encoding=fallback_encoding, glob_filter=tex_glob
            )
        )
    if folders and projects:
        frames.append(_read_project_folders(spark, folders, archives, root=root, source=source, tex_glob=tex_glob,
                                            fallback_encoding=fallback_encoding, max_bytes=max_project_bytes))
    if archives:
        frames.append(_read_archives(spark, archives, root=root, source=source,
                                     fallback_encoding=fallback_encoding, max_bytes=max_project_bytes))
    if tex:
        frames.append(read_text(spark, tex, per="file", source=source, fallback_encoding=fallback_encoding))
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def _archives_in(folders: Sequence[str]) -> list[str]:
    """Paper archives under the (local) folders, each real file once."""
    seen: set[str] = set()
    return [f for folder in folders for f in walk_files(folder, glob_filter=ARCHIVE_GLOB, seen=seen)]


def _paper_row(project: str, root: str | None, texts_of, max_chars: int) -> tuple:
    """``BASE_FIELDS`` for one paper: its inlined text, or the reason it has none (origin: the paper)."""
    key = relative_key(project, root)
    try:
        paper = inline_paper(texts_of(), max_chars=max_chars)
    except ProjectError as error:
        return None, key, project, error.reason, project, truncate_raw(str(error))
    return paper.text, key, project, None, f"{project}:{paper.main}", None


def _archive_batches(*, root: str | None, fallback_encoding: str | None, max_bytes: int):
    decode = text_decoder(fallback_encoding)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = [
                _paper_row(local_path(file_path), root,
                           lambda data=data: archive_texts(data, max_bytes=max_bytes, decode=decode), max_bytes)
                for data, file_path in zip(batch.column("content").to_pylist(), batch.column("path").to_pylist(),
                                           strict=True)
            ]
            yield rows_to_batch(rows, BASE_FIELDS)

    return run


def _read_archives(spark: SparkSession, archives: list[str], *, root: str | None, source: str,
                   fallback_encoding: str | None, max_bytes: int) -> DataFrame:
    files = spark.read.format("binaryFile").load([literal_path(a) for a in archives]).select("path", "content")
    run = _archive_batches(root=root, fallback_encoding=fallback_encoding, max_bytes=max_bytes)
    return finish_frame(files.mapInArrow(run, output_schema(())), source=source, metadata=[PATH])


def _read_project_folders(spark: SparkSession, folders: list[str], archives: list[str], *, root: str | None,
                          source: str, tex_glob: str, fallback_encoding: str | None, max_bytes: int) -> DataFrame:
    """One paper per folder: its files grouped by folder in one shuffle, each group inlined in one task.

    ``archives``: the archives already found, read as papers of their own (a folder of archives only is fine)."""
    project_roots = sorted(folders, key=len, reverse=True)  # a folder inside another given one is its own paper
    seen: set[str] = set()
    files: list[str] = []
    for folder in project_roots:
        found = walk_files(folder, glob_filter=tex_glob, seen=seen)
        if not found and not any(a.startswith(folder.rstrip("/") + "/") for a in archives):
            raise InputError(f"paper folder {folder!r} holds no file matching {tex_glob!r}")
        files += found
    if not files:  # every folder held archives only: those are read as papers of their own
        return finish_frame(spark.createDataFrame([], output_schema(())), source=source, metadata=[PATH])

    @F.pandas_udf(StringType())
    def project_of(paths: pd.Series) -> pd.Series:
        def owner(path: str) -> str:
            local = local_path(path)
            return next(r for r in project_roots if local.startswith(r.rstrip("/") + "/"))

        return paths.map(owner)

    decode = text_decoder(fallback_encoding)

    def paper(group: pd.DataFrame) -> pd.DataFrame:
        project = group[_PROJECT].iloc[0]

        def texts() -> dict[str, str]:
            if int(group["content"].map(len).sum()) > max_bytes:
                raise ProjectError(LATEX_PROJECT_TOO_LARGE, f"its .tex files pass {max_bytes:,} bytes")
            return {inside_name(os.path.relpath(local_path(path), project)): decoded(bytes(data), path, decode)
                    for path, data in zip(group["path"], group["content"], strict=True)}

        row = _paper_row(project, root, texts, max_bytes)
        return pd.DataFrame([row], columns=list(BASE_FIELDS))

    raw = spark.read.format("binaryFile").load([literal_path(f) for f in files]).select("path", "content")
    grouped = raw.withColumn(_PROJECT, project_of("path")).groupBy(_PROJECT).applyInPandas(paper, output_schema(()))
    return finish_frame(grouped, source=source, metadata=[PATH])

