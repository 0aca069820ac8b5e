"""Readers of plain files on any path Spark reads: JSON lines, text, Parquet, CSV, and tables.

JSON lines and text are scanned as raw bytes (``spark.read.text``, gzip and other Hadoop codecs
decoded by Spark) and parsed in one ``mapInArrow`` pass, so each line's UTF-8, JSON and type errors
become a rejected row with its file and line, and nothing is collected on the driver. Hostile files
(undecodable, a line too long for memory, link loops) are dealt with by :mod:`byod.sources.scan`. Typed sources
(Parquet, CSV, tables) are checked with Spark built-ins.
"""

from __future__ import annotations

import glob as globlib
import os
from collections.abc import Sequence
from typing import Literal
from urllib.parse import urlparse

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from byod.errors import ConfigError, InputError
from byod.sources import records
from byod.sources.probe import DEFAULT_MAX_RECORD_BYTES
from byod.sources.quarantine import PATH, check_metadata_names, finish_frame, from_typed_frame, local_path
from byod.sources.scan import scan_records
from byod.sources.walk import check_link, is_root, walk_files

PARQUET_MISSING_TEXT = "parquet.missing_text"
PARQUET_EMPTY_TEXT = "parquet.empty_text"
CSV_BAD_ROW = "csv.bad_row"
CSV_MISSING_TEXT = "csv.missing_text"
CSV_EMPTY_TEXT = "csv.empty_text"
TABLE_MISSING_TEXT = "table.missing_text"
TABLE_EMPTY_TEXT = "table.empty_text"

Paths = str | os.PathLike | Sequence[str | os.PathLike]
_CORRUPT = "_byod_corrupt_record"


def _check_remote(path: str) -> None:
    """Check a non-local path through fsspec when it knows the scheme; otherwise Spark will say."""
    try:
        import fsspec

        fs, inner = fsspec.core.url_to_fs(path)
        found = fs.glob(inner) if globlib.has_magic(inner) else fs.exists(inner)
    except (ImportError, ValueError, OSError, NotImplementedError):
        return
    if not found:
        raise InputError(f"input path {path!r} does not exist or matches nothing; check the path")


def resolve_paths(paths: Paths) -> tuple[list[str], str | None]:
    """Expand a path, folder, glob or list of them, failing before any Spark job on a missing one.

    Returns the paths to hand to Spark and the common local folder of the inputs (None when some
    input is not local), which record keys are made relative to.
    """
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not items:
        raise InputError("no input paths were given; pass a file, folder, glob or a list of them")
    resolved: list[str] = []
    roots: list[str] = []
    remote = False
    for item in items:
        path = os.fspath(item)
        if urlparse(path).scheme not in ("", "file"):
            _check_remote(path)
            resolved.append(path)
            remote = True
            continue
        local = local_path(path)
        if not globlib.has_magic(local):
            check_link(local, path)  # a dangling or looping link: say so, not "does not exist"
        matches = sorted(globlib.glob(local)) if globlib.has_magic(local) else [local] * os.path.exists(local)
        if not matches:
            what = "glob matches nothing" if globlib.has_magic(local) else "path does not exist"
            raise InputError(f"input {path!r}: {what}; check the path (relative to {os.getcwd()!r})")
        for match in matches:
            match = os.path.abspath(match)
            check_link(match)
            if is_root(match):
                raise InputError(
                    f"input {path!r} is the filesystem root {os.path.realpath(match)!r}; give the folder holding the data"
                )
            if os.path.isdir(match):
                if not walk_files(match):  # also refuses a link loop or a dangling link inside
                    raise InputError(f"input folder {match!r} holds no files to read")
                roots.append(match)
            else:
                roots.append(os.path.dirname(match))
            resolved.append(match)
    root = None if remote or not roots else os.path.commonpath(roots)
    return resolved, root


def _scan(
    spark: SparkSession,
    paths: list[str],
    *,
    wholetext: bool,
    glob_filter: str | None,
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
) -> DataFrame:
    """Raw bytes of each line (or each whole file) with the file and split it came from; a file that
    cannot be read, or a record over ``max_record_bytes``, is a row with its error (see :mod:`byod.sources.scan`)."""
    _check_limit(max_record_bytes)
    too_long = records.TEXT_TOO_LONG if wholetext else records.JSONL_TOO_LONG
    return scan_records(
        spark, paths, wholetext=wholetext, glob_filter=glob_filter, max_record_bytes=max_record_bytes,
        too_long_code=too_long,
    )


def _check_limit(max_record_bytes: int | None) -> None:
    if max_record_bytes is not None and (isinstance(max_record_bytes, bool) or not isinstance(max_record_bytes, int)
                                         or max_record_bytes < 1):
        raise ConfigError(f"max_record_bytes must be a positive number of bytes or None, got {max_record_bytes!r}")


def read_json_lines(
    spark: SparkSession,
    paths: Paths,
    *,
    text_column: str,
    key_column: str | None,
    metadata_columns: Sequence[str],
    source: str,
    with_path: bool,
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
) -> DataFrame:
    """JSON lines reader shared by :func:`read_jsonl` and :func:`byod.sources.c4.read_c4`."""
    check_metadata_names(metadata_columns)
    _check_limit(max_record_bytes)
    resolved, root = resolve_paths(paths)
    parse = records.json_batches(
        text_field=text_column, key_field=key_column, metadata_fields=tuple(metadata_columns), root=root
    )
    scan = _scan(spark, resolved, wholetext=False, glob_filter=None, max_record_bytes=max_record_bytes)
    parsed = scan.mapInArrow(
        parse, records.output_schema(metadata_columns)
    )
    metadata = ([PATH] if with_path else []) + list(metadata_columns)
    return finish_frame(parsed, source=source, metadata=metadata)


def read_jsonl(
    spark: SparkSession,
    paths: Paths,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    metadata_columns: Sequence[str] = (),
    source: str = "jsonl",
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
) -> DataFrame:
    """Read JSON lines (plain or compressed); bad lines become rejected rows (``jsonl.*`` codes).

    The natural key is ``id_column``'s value when given, else the file (relative to the inputs'
    common folder) and line. ``metadata_columns`` are kept as string columns (non-strings as JSON).
    A file that does not decompress is one ``file.unreadable`` row; a line over ``max_record_bytes``
    (None: no limit) is ``jsonl.too_long``, and never held in memory whole.
    """
    return read_json_lines(
        spark,
        paths,
        text_column=text_column,
        key_column=id_column,
        metadata_columns=metadata_columns,
        source=source,
        with_path=True,
        max_record_bytes=max_record_bytes,
    )


def read_text(
    spark: SparkSession,
    paths: Paths,
    *,
    per: Literal["file", "line"] = "file",
    source: str = "text",
    fallback_encoding: str | None = None,
    glob_filter: str | None = None,
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
) -> DataFrame:
    """Read text files as one document per file or per non-blank line (``text.*`` codes).

    Args:
        per: ``"file"`` (key: the relative path) or ``"line"`` (key: relative path and line).
        fallback_encoding: decoding tried when a record is not UTF-8 (e.g. ``"latin-1"``); None rejects it.
        glob_filter: file-name pattern applied inside folders (Spark's ``pathGlobFilter``), e.g. ``"*.tex"``.
        max_record_bytes: a file (``per="file"``, decompressed) or line over this many bytes is rejected as
            ``text.too_long`` without being held in memory; None: no limit. A file that does not
            decompress is one ``file.unreadable`` row.
    """
    if per not in ("file", "line"):
        raise ConfigError(f"per must be 'file' or 'line', got {per!r}")
    _check_limit(max_record_bytes)
    resolved, root = resolve_paths(paths)
    parse = records.text_batches(per_file=per == "file", fallback_encoding=fallback_encoding, root=root)
    scan = _scan(spark, resolved, wholetext=per == "file", glob_filter=glob_filter, max_record_bytes=max_record_bytes)
    parsed = scan.mapInArrow(parse, records.output_schema(()))
    return finish_frame(parsed, source=source, metadata=[PATH])


def _file_path() -> Column:
    """``_metadata.file_path`` without the ``file:`` scheme, as :func:`local_path` shows local files."""
    return F.regexp_replace(F.col("_metadata.file_path"), "^file:(//)?", "")


def read_parquet(
    spark: SparkSession,
    paths: Paths,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    metadata_columns: Sequence[str] = (),
    source: str = "parquet",
) -> DataFrame:
    """Read Parquet files; the key is ``id_column`` or the file name and row index (``parquet.*`` codes)."""
    resolved, _ = resolve_paths(paths)
    df = spark.read.option("recursiveFileLookup", "true").parquet(*resolved)
    meta = df.select("_metadata").schema["_metadata"].dataType
    row = F.col("_metadata.row_index").cast("string") if "row_index" in meta.fieldNames() else F.lit("")
    df = df.withColumn(PATH, _file_path()).withColumn("_byod_row", row)
    return from_typed_frame(
        df,
        text_column=text_column,
        id_column=id_column,
        metadata_columns=metadata_columns,
        source=source,
        key=F.concat_ws(":", F.col("_metadata.file_name"), F.col("_byod_row")),
        origin=F.concat_ws(":", F.col(PATH), F.col("_byod_row")),
        missing_code=PARQUET_MISSING_TEXT,
        empty_code=PARQUET_EMPTY_TEXT,
    )


def read_csv(
    spark: SparkSession,
    paths: Paths,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    metadata_columns: Sequence[str] = (),
    source: str = "csv",
    multiline: bool = True,
    **options: str,
) -> DataFrame:
    """Read CSV files with a header row; malformed rows are rejected as ``csv.bad_row``.

    Without ``id_column`` the key is the file name, so two equal texts in one file share an id.
    ``options`` go to Spark's CSV reader (``sep``, ``quote``, ``escape``, ...).
    """
    resolved, _ = resolve_paths(paths)
    reader = (
        spark.read.option("header", "true")
        .option("multiLine", str(multiline).lower())
        .option("recursiveFileLookup", "true")
        .options(**options)
    )
    schema = reader.csv(resolved).schema.add(_CORRUPT, StringType())
    df = (
        reader.schema(schema)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", _CORRUPT)
        .csv(resolved)
        .withColumn(PATH, _file_path())
    )
    return from_typed_frame(
        df,
        text_column=text_column,
        id_column=id_column,
        metadata_columns=metadata_columns,
        source=source,
        key=F.col("_metadata.file_name"),
        origin=F.col(PATH),
        missing_code=CSV_MISSING_TEXT,
        empty_code=CSV_EMPTY_TEXT,
        bad_row_code=CSV_BAD_ROW,
        corrupt_column=_CORRUPT,
    )


def read_table(
    spark: SparkSession,
    name: str,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    metadata_columns: Sequence[str] = (),
    source: str | None = None,
) -> DataFrame:
    """Read a catalog table (``spark.read.table``), e.g. a Unity Catalog table on Databricks.

    Without ``id_column`` the key is the table name, so equal texts share an id (exact duplicates).
    """
    if not spark.catalog.tableExists(name):
        raise InputError(f"table {name!r} does not exist; check the catalog and schema names")
    df = spark.read.table(name)
    return from_typed_frame(
        df,
        text_column=text_column,
        id_column=id_column,
        metadata_columns=metadata_columns,
        source=source or name,
        key=F.lit(name),
        origin=F.lit(name),
        missing_code=TABLE_MISSING_TEXT,
        empty_code=TABLE_EMPTY_TEXT,
    )
