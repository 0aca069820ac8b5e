"""Finetuning examples (prompt/response pairs and chats) from JSON lines, Parquet, a table or a HF dataset.

Every record is checked as it is read with llm-foundry's rules (:mod:`byod.stages.finetune.validate`);
a bad one becomes a rejected row with its ``ft.*`` or ``jsonl.*`` code, origin and raw text, so the
pipeline counts it and writes it to the quarantine. A good one becomes a document whose ``text`` is
the example as canonical JSON (``{"prompt","response"}`` or ``{"messages"}``) and whose ``ft_format``
says which. Column names map from the user's (``prompt_column``, ...) to llm-foundry's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from byod.columns import ORIGIN, RAW, REJECT_REASON, TEXT
from byod.errors import ConfigError, SchemaError
from byod.sources import records
from byod.sources.files import Paths, _scan, resolve_paths
from byod.sources.hf import ROW, export_parquet, load_hf_dataset
from byod.sources.quarantine import (
    KEY,
    BlockCounter,
    as_string,
    decode_utf8,
    encodable,
    finish_frame,
    local_path,
    relative_key,
    truncate_raw,
)
from byod.stages.finetune.validate import FORMATS, FT_FORMAT, ExampleFormat, check_record

FT_EMPTY_FILE = "ft.empty_file"
InputFormat = Literal["jsonl", "parquet", "table", "hf"]
INPUT_FORMATS = ("jsonl", "parquet", "table", "hf")
_JSON = "_byod_ft_json"
_SCHEMA = f"`{TEXT}` string, `{FT_FORMAT}` string, `{KEY}` string, `{REJECT_REASON}` string, `{ORIGIN}` string, " \
          f"`{RAW}` string"
_NAMES = (TEXT, FT_FORMAT, KEY, REJECT_REASON, ORIGIN, RAW)


def parse_line(data: bytes, *, id_column: str | None = None, **mapping: Any) -> tuple[str | None, str | None,
                                                                                       str | None, str | None]:
    """One JSON line -> (canonical text, format, natural key from ``id_column``, reject reason)."""
    line = decode_utf8(data)
    if line is None:
        return None, None, None, records.JSONL_INVALID_UTF8
    try:
        record = json.loads(line)
    except ValueError:
        return None, None, None, records.JSONL_BAD_JSON
    except RecursionError:
        return None, None, None, records.JSONL_TOO_DEEP
    key = as_string(record.get(id_column)) if id_column and isinstance(record, dict) else None
    checked = check_record(record, **mapping)
    if checked.text is not None and not encodable(checked.text):
        return None, checked.example_format, key, records.JSONL_INVALID_UTF8  # a lone surrogate escape
    return checked.text, checked.example_format, key, checked.reason


def _batch(rows: list[tuple]) -> pa.RecordBatch:
    columns = list(zip(*rows)) if rows else [()] * len(_NAMES)
    return pa.RecordBatch.from_arrays([pa.array(list(c), type=pa.string()) for c in columns], names=list(_NAMES))


def _json_lines(*, root: str | None, id_column: str | None, mapping: dict[str, Any]):
    """mapInArrow body over a line scan: one output row per non-blank line, numbered per file."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        counter = BlockCounter()
        for batch in batches:
            rows = []
            columns = (batch.column(records.BYTES).to_pylist(), batch.column(records.FILE_PATH).to_pylist(),
                       batch.column(records.BLOCK_START).to_pylist())
            for data, file_path, start, (error, message) in zip(*columns, records.scan_errors(batch)):
                path = local_path(file_path)
                suffix = "" if start is None else counter.next(path, start)
                if error is not None:  # an unreadable file or a too-long line (byod.sources.scan)
                    rows.append((None, None, relative_key(path, root) + suffix, error, path + suffix, message))
                    continue
                if not data or not data.strip():
                    continue
                text, fmt, key, reason = parse_line(data, id_column=id_column, **mapping)
                key = key if key is not None else relative_key(path, root) + suffix
                rows.append((text, fmt, key, reason, path + suffix, truncate_raw(data) if reason else None))
            yield _batch(rows)

    return run


def _typed_rows(mapping: dict[str, Any]):
    """mapInArrow body over ``(row JSON, key, origin)``: the same checks for Parquet, tables and HF."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = []
            for data, key, origin in zip(*(batch.column(i).to_pylist() for i in range(3))):
                checked = check_record(json.loads(data), **mapping)
                rows.append((checked.text, checked.example_format, key, checked.reason, origin,
                             truncate_raw(data) if checked.reason else None))
            yield _batch(rows)

    return run


def _is_blank_file(path: str) -> bool:
    """True when a local file (decompressed by its extension) holds only whitespace."""
    import fsspec
    import zstandard

    try:
        with fsspec.open(path, "rb", compression="infer") as handle:
            while chunk := handle.read(1 << 16):
                if chunk.strip():
                    return False
    except (OSError, EOFError, ValueError, zstandard.ZstdError):
        return False  # it does not decompress: the scan rejects it as file.unreadable
    return True


def _local_files(path: str) -> list[str]:
    """The files Spark reads under a local path (names starting with '.' or '_' are skipped, as Spark does)."""
    if not os.path.isdir(path):
        return [path]
    found = []
    for folder, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        found += [os.path.join(folder, n) for n in names if not n.startswith((".", "_"))]
    return found


def _empty_files(spark: SparkSession, resolved: list[str]) -> DataFrame | None:
    """One rejected row per local input file with no record (a scan yields no row for such a file)."""
    files = sorted(f for path in resolved if os.path.exists(path) for f in _local_files(path))
    empty = [(None, None, f, FT_EMPTY_FILE, f, None) for f in files if _is_blank_file(f)]
    return spark.createDataFrame(empty, _SCHEMA) if empty else None


def _row_json(df: DataFrame, columns: list[str]) -> Column:
    return F.to_json(F.struct(*[F.col(c) for c in columns]), {"ignoreNullFields": "false"})


def _typed_frame(spark: SparkSession, target: Any, input_format: str, *, id_column: str | None,
                 work_dir: str | None, split: str, load_kwargs: dict[str, Any]) -> tuple[DataFrame, Column, Column]:
    """The input as a frame, with its natural-key and origin expressions."""
    if input_format == "parquet":
        resolved, _ = resolve_paths(target)
        df = spark.read.option("recursiveFileLookup", "true").parquet(*resolved)
        path = F.regexp_replace(F.col("_metadata.file_path"), "^file:(//)?", "")
        row = F.col("_metadata.row_index").cast("string")
        return df, F.concat_ws(":", F.col("_metadata.file_name"), row), F.concat_ws(":", path, row)
    if input_format == "table":
        if not spark.catalog.tableExists(target):
            raise SchemaError(f"table {target!r} does not exist; check the catalog and schema names")
        df = spark.read.table(target)
        return df, F.sha2(_row_json(df, df.columns), 256), F.lit(target)
    if work_dir is None:
        raise ConfigError("a Hugging Face source needs work_dir= (a folder the executors can read)")
    label = os.path.basename(str(target).rstrip("/"))
    dataset = load_hf_dataset(target, split=split, **load_kwargs)
    folder = f"{work_dir.rstrip('/')}/hf-ft-{label}-{split}"
    export_parquet(dataset, folder)
    df = spark.read.parquet(folder)
    row = F.col(ROW).cast("string")
    return df, F.concat_ws("/", F.lit(label), F.lit(split), row), F.concat_ws(":", F.lit(f"{target}[{split}]"), row)


def read_finetune(spark: SparkSession, target: Paths, *, input_format: InputFormat = "jsonl",
                  example_format: ExampleFormat = "auto", prompt_column: str = "prompt",
                  response_column: str = "response", messages_column: str = "messages", id_column: str | None = None,
                  max_chars: int | None = None, source: str = "ft", work_dir: str | None = None, split: str = "train",
                  **load_kwargs: Any) -> DataFrame:
    """Read finetuning examples; bad records are rejected rows (``ft.*``, ``jsonl.*`` codes), never errors.

    Args:
        target: JSON lines paths (files, folders, globs), Parquet paths, a table name, or a HF dataset.
        input_format: ``'jsonl'``, ``'parquet'``, ``'table'`` or ``'hf'``.
        example_format: ``'auto'`` decides per record (``messages`` present: chat), or force one format.
        prompt_column, response_column, messages_column: the user's names for llm-foundry's keys; with
            the default ``response``, a ``completion`` field is read too, as llm-foundry does.
        id_column: field holding a natural key; else the file and line (or row).
        max_chars: reject examples with more characters of text (``ft.too_many_chars``); None: no limit.
        work_dir, split, load_kwargs: for ``'hf'`` (see :func:`byod.sources.hf.read_hf`).
    """
    if input_format not in INPUT_FORMATS:
        raise ConfigError(f"finetuning input format must be one of {INPUT_FORMATS}, got {input_format!r}")
    if example_format not in FORMATS:
        raise ConfigError(f"example_format must be one of {FORMATS}, got {example_format!r}")
    if max_chars is not None and (isinstance(max_chars, bool) or max_chars < 1):
        raise ConfigError(f"max_chars must be >= 1 or None, got {max_chars!r}")
    response_keys = (response_column, "completion") if response_column == "response" else (response_column,)
    mapping = {"example_format": example_format, "prompt_key": prompt_column, "response_keys": response_keys,
               "messages_key": messages_column, "max_chars": max_chars}
    if input_format == "jsonl":
        resolved, root = resolve_paths(target)
        parsed = _scan(spark, resolved, wholetext=False, glob_filter=None).mapInArrow(
            _json_lines(root=root, id_column=id_column, mapping=mapping), _SCHEMA)
        empty = _empty_files(spark, resolved)
        parsed = parsed.unionByName(empty) if empty is not None else parsed
        return finish_frame(parsed, source=source, metadata=[FT_FORMAT])
    df, key, origin = _typed_frame(spark, target, input_format, id_column=id_column, work_dir=work_dir, split=split,
                                   load_kwargs=load_kwargs)
    wanted = [c for c in (prompt_column, *response_keys, messages_column) if c in df.columns]
    if not any(c in df.columns for c in (prompt_column, messages_column)):
        raise SchemaError(f"{source}: neither {prompt_column!r} nor {messages_column!r} is a column of the input "
                          f"{df.columns}; map yours with prompt_column=, response_column=, messages_column=")
    if id_column is not None:
        if id_column not in df.columns:
            raise SchemaError(f"{source}: id_column {id_column!r} is not a column of the input {df.columns}")
        key = F.col(id_column).cast("string")
    frame = df.select(_row_json(df, wanted).alias(_JSON), key.alias(KEY), origin.alias(ORIGIN))
    parsed = frame.mapInArrow(_typed_rows(mapping), _SCHEMA)
    return finish_frame(parsed, source=source, metadata=[FT_FORMAT])


def read_finetune_sources(spark: SparkSession, sources: Sequence[Any], *, work_dir: str) -> DataFrame:
    """One frame from a job's sources (``name``, ``format``, ``paths``, ``options`` each)."""
    from byod.sources.spec import read_sources

    def read_one(spark: SparkSession, fmt: str, target: Any, name: str, options: dict[str, Any]) -> DataFrame:
        return read_finetune(spark, target, input_format=fmt, source=name, **options)

    return read_sources(spark, sources, work_dir=work_dir, read_one=read_one)
