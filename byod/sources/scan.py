"""The raw-record scan behind the JSON lines and text readers: hostile files become rows, not crashes.

Rows are ``(bytes, file_path, block_start, error, message)``: a line (or a whole file) and where it
came from, or, with ``error`` set, a record that cannot be read. Local inputs are listed by
:mod:`byod.sources.walk` (each real file once, link loops refused) and checked by
:mod:`byod.sources.probe` in one Spark job over the files that need it (compressed ones, and plain
ones bigger than ``max_record_bytes``), then:

- files that are fine go to Spark's text scan, as before: plain files stay splittable and parallel;
- a file that does not decompress becomes one ``file.unreadable`` row (the error's first line);
- a whole-file record over the limit becomes one ``too_long_code`` row with the file's head;
- a file with a line over the limit (rare) is read by a Python task that streams it in chunks, so
  its other lines keep their numbers and the long one is a ``too_long_code`` row, never held whole;
- ``.zst`` files on Spark 3.x (whose bundled Hadoop has no usable zstd codec: the JVM fails on them) are
  read by the same Python tasks, cut into lines exactly as Hadoop cuts them, so keys match Spark 4's.
  A remote ``.zst`` path there is a one-line error before any work.

Cost: every compressed byte is decompressed twice (probe, then scan). zlib inflates at several
hundred MB/s per core while parsing JSON in Python runs at tens of MB/s, so this adds roughly a
tenth to a read, spread over the executors like the scan; plain files no bigger than the limit are
not read twice. Remote paths (``s3://``, ...) go to Spark unchecked, as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import quote, urlparse

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, LongType, StringType, StructField, StructType

from byod.errors import InputError
from byod.sources import probe
from byod.sources.records import BLOCK_START, BYTES, ERROR, FILE_PATH, MESSAGE
from byod.sources.walk import walk_files

SCHEMA = StructType(
    [
        StructField(BYTES, BinaryType()),
        StructField(FILE_PATH, StringType()),
        StructField(BLOCK_START, LongType()),
        StructField(ERROR, StringType()),
        StructField(MESSAGE, StringType()),
    ]
)
_GLOB_CHARS = "\\[]{}*?"


def file_url(path: str) -> str:
    """A local path as Spark's ``_metadata.file_path`` names it, so both decode to the same path."""
    return "file://" + quote(path)


def literal_path(path: str) -> str:
    """A path Spark will not glob-expand (``a[1].jsonl`` names a file, not a pattern)."""
    return "".join("\\" + c if c in _GLOB_CHARS else c for c in path)


def local_files(paths: Sequence[str], glob_filter: str | None) -> list[str]:
    """The files under local inputs (folders walked, links followed), each real file once."""
    seen: set[str] = set()
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            files += walk_files(path, glob_filter=glob_filter, seen=seen)
        elif (real := os.path.realpath(path)) not in seen:
            seen.add(real)
            files.append(path)
    return files


def _spark_scan(spark: SparkSession, paths: list[str], *, wholetext: bool, glob_filter: str | None) -> DataFrame:
    reader = spark.read.option("recursiveFileLookup", "true")
    if glob_filter is not None:
        reader = reader.option("pathGlobFilter", glob_filter)
    return reader.text(paths, wholetext=wholetext).select(
        F.col("value").cast("binary").alias(BYTES),
        F.col("_metadata.file_path").alias(FILE_PATH),
        F.col("_metadata.file_block_start").alias(BLOCK_START),
        F.lit(None).cast("string").alias(ERROR),
        F.lit(None).cast("string").alias(MESSAGE),
    )


def _probe(spark: SparkSession, files: list[str], *, wholetext: bool, limit: int | None) -> dict[str, probe.Problem]:
    """The files with a problem; one Spark job, a task per slice of files, nothing read on the driver."""
    found: dict[str, probe.Problem] = {}
    checked = []
    for path in files:
        if wholetext and limit is not None and not probe.is_compressed(path) and os.path.getsize(path) > limit:
            with open(path, "rb") as handle:  # its size says it all: show its head
                head = handle.read(probe.HEAD_BYTES).decode("utf-8", errors="replace")
            found[path] = probe.Problem(path, probe.TOO_LONG, head)
        elif probe.needs_probe(path, max_record_bytes=limit):
            checked.append((path,))
    if checked:
        # a local frame is cut into as many slices as the cluster has cores: the files are probed in parallel
        frame = spark.createDataFrame(checked, "path string")
        rows = frame.mapInArrow(probe.probe_batches(max_record_bytes=limit, whole_file=wholetext), probe.PROBE_SCHEMA)
        found.update({r["path"]: probe.Problem(r["path"], r["problem"], r["message"]) for r in rows.collect()})
    return found


def spark_reads_zstd(spark: SparkSession) -> bool:
    """Spark 4 reads ``.zst`` text; Spark 3.5's Hadoop 3.3 needs a native libzstd it does not ship."""
    return int(spark.version.split(".")[0]) >= 4


def _file_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` over ``path`` rows: each file's decompressed bytes as one record (wholetext)."""
    for batch in batches:
        for path in batch.column(0).to_pylist():
            yield _batch([(b"".join(probe.chunks(path)), file_url(path), 0, None, None)])


def _line_batches(limit: int, too_long_code: str) -> Callable:
    """``mapInArrow`` over ``path`` rows: each line of each file, a too-long one as an error row."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for path in batch.column(0).to_pylist():
                rows: list[tuple] = []
                for line, head in probe.lines(path, limit):
                    rows.append((line, file_url(path), 0, None if head is None else too_long_code, head))
                    if len(rows) >= 1024:
                        yield _batch(rows)
                        rows = []
                yield _batch(rows)

    return run


def _batch(rows: list[tuple]) -> pa.RecordBatch:
    columns = list(zip(*rows)) if rows else [()] * 5
    types = (pa.binary(), pa.string(), pa.int64(), pa.string(), pa.string())
    return pa.RecordBatch.from_arrays(
        [pa.array(list(c), type=t) for c, t in zip(columns, types)], names=[f.name for f in SCHEMA.fields]
    )


def scan_records(
    spark: SparkSession,
    paths: list[str],
    *,
    wholetext: bool,
    glob_filter: str | None,
    max_record_bytes: int | None,
    too_long_code: str,
) -> DataFrame:
    """Raw records of resolved inputs (see the module docstring); hostile files become error rows."""
    remote = [p for p in paths if urlparse(p).scheme not in ("", "file")]
    zstd_in_python = not spark_reads_zstd(spark)
    if zstd_in_python and (zst := [p for p in remote if p.endswith(".zst")]):
        raise InputError(f"{zst[0]}: Spark {spark.version} cannot read .zst files (its Hadoop has no zstd codec); "
                         "copy them to a local folder, recompress as .gz, or run on Spark 4")
    files = local_files([p for p in paths if p not in remote], glob_filter)
    problems = _probe(spark, files, wholetext=wholetext, limit=max_record_bytes)
    frames = []
    in_python = {f for f in files if zstd_in_python and f.endswith(".zst") and f not in problems}
    good = [literal_path(f) for f in files if f not in problems and f not in in_python]
    if good:
        frames.append(_spark_scan(spark, good, wholetext=wholetext, glob_filter=None))
    if remote:
        frames.append(_spark_scan(spark, remote, wholetext=wholetext, glob_filter=glob_filter))
    if in_python and wholetext:
        listed = spark.createDataFrame([(p,) for p in sorted(in_python)], "path string")
        frames.append(listed.mapInArrow(_file_batches, SCHEMA))
    long_lines = sorted(p.path for p in problems.values() if p.problem == probe.LONG_LINE)
    by_line = sorted(set(long_lines) | (in_python if not wholetext else set()))
    if by_line:
        listed = spark.createDataFrame([(p,) for p in by_line], "path string")
        limit = max_record_bytes if max_record_bytes is not None else 2**62
        frames.append(listed.mapInArrow(_line_batches(limit, too_long_code), SCHEMA))
    codes = {probe.UNREADABLE: probe.FILE_UNREADABLE, probe.TOO_LONG: too_long_code}
    errors = [
        (None, file_url(p.path), None, codes[p.problem], p.message)
        for p in sorted(problems.values(), key=lambda p: p.path)
        if p.problem in codes
    ]
    if errors or not frames:
        frames.append(spark.createDataFrame(errors, SCHEMA))
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result
