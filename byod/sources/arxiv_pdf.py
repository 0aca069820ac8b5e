"""PDF reader: text extracted with pypdf inside Spark tasks from files read as ``binaryFile``.

A PDF that pypdf cannot parse is rejected as ``pdf.unreadable``, one it cannot decrypt (with the
empty password or the one given) as ``pdf.encrypted``, one without extractable text (a scan) as
``pdf.no_text``: counted rejections, never a failed job.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from byod.errors import ConfigError
from byod.sources.files import Paths, resolve_paths
from byod.sources.quarantine import PATH, finish_frame, local_path, relative_key, truncate_raw
from byod.sources.records import BASE_FIELDS, Parsed, output_schema

PDF_UNREADABLE = "pdf.unreadable"
PDF_ENCRYPTED = "pdf.encrypted"
PDF_NO_TEXT = "pdf.no_text"

#: Separator between the text of consecutive pages.
PAGE_SEPARATOR = "\n\n"


def extract_pdf_text(data: bytes, *, password: str = "", max_pages: int | None = None) -> tuple[Parsed, str | None]:
    """The text of a PDF's pages, or the reason it has none; second item: the error, for quarantine."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files are counted, not logged per object
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(password):
            return Parsed(None, PDF_ENCRYPTED), "encrypted; the password given does not open it"
        pages = reader.pages if max_pages is None else reader.pages[:max_pages]
        text = PAGE_SEPARATOR.join((page.extract_text() or "").strip() for page in pages)
    # pypdf raises many kinds of errors on damaged files (PdfReadError, ValueError, KeyError,
    # struct.error, RecursionError ...): each is one rejected file, never a failed task.
    except Exception as error:  # noqa: BLE001
        message = f"{type(error).__name__}: {error}"
        reason = (
            PDF_ENCRYPTED if type(error).__name__ in ("FileNotDecryptedError", "DependencyError") else PDF_UNREADABLE
        )
        return Parsed(None, reason), message
    if not text.strip():
        return Parsed(None, PDF_NO_TEXT), "no extractable text (a scanned PDF?)"
    return Parsed(text), None


def _pdf_batches(*, root: str | None, password: str, max_pages: int | None):
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns: list[list] = [[] for _ in BASE_FIELDS]
            for data, file_path in zip(
                batch.column("content").to_pylist(), batch.column("path").to_pylist(), strict=True
            ):
                path = local_path(file_path)
                parsed, error = extract_pdf_text(data, password=password, max_pages=max_pages)
                row = (parsed.text, relative_key(path, root), path, parsed.reason, path, truncate_raw(error))
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
            yield pa.RecordBatch.from_arrays([pa.array(c, type=pa.string()) for c in columns], names=list(BASE_FIELDS))

    return run


def read_arxiv_pdf(
    spark: SparkSession,
    paths: Paths,
    *,
    source: str = "arxiv_pdf",
    glob_filter: str = "*.pdf",
    password: str = "",
    max_pages: int | None = None,
) -> DataFrame:
    """Read PDF files (one document per file) into id, text, source, path and bookkeeping columns.

    Args:
        glob_filter: file-name pattern inside folders (Spark's ``pathGlobFilter``).
        password: tried on encrypted files ("" opens files encrypted only against editing).
        max_pages: pages extracted per file; None extracts all.
    """
    if max_pages is not None and max_pages < 1:
        raise ConfigError(f"max_pages must be >= 1 or None, got {max_pages}")
    resolved, root = resolve_paths(paths)
    files = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", glob_filter)
        .load(resolved)
        .select("path", F.col("content"))
    )
    parsed = files.mapInArrow(_pdf_batches(root=root, password=password, max_pages=max_pages), output_schema(()))
    return finish_frame(parsed, source=source, metadata=[PATH])
