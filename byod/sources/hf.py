"""Hugging Face datasets: ``load_dataset`` by hub name or from local files, handed to Spark as Parquet.

The driver streams the dataset's Arrow batches into Parquet files under ``work_dir`` (a folder the
executors can read: local for local Spark, a Volume or cloud path on a cluster) and Spark reads them,
so no pandas frame is built on the driver and a dataset larger than its memory still flows (pass
``streaming=True`` to avoid even the local Arrow cache). Works offline with ``HF_HUB_OFFLINE=1``
for local files and datasets already in the cache.
"""

from __future__ import annotations

import glob as globlib
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from byod.errors import ConfigError, InputError
from byod.sources.quarantine import from_typed_frame

HF_MISSING_TEXT = "hf.missing_text"
HF_EMPTY_TEXT = "hf.empty_text"

#: Column added to the exported files: the row's position in the split, the record's natural key.
ROW = "_byod_row"
#: load_dataset builder for local data files, by extension (compression suffixes removed first).
BUILDERS = {".json": "json", ".jsonl": "json", ".parquet": "parquet", ".csv": "csv", ".txt": "text", ".arrow": "arrow"}
_COMPRESSION = (".gz", ".bz2", ".xz", ".zst", ".zstd")


def _builder_for(path: str) -> str | None:
    """The builder that reads a local data file, or None for an unknown extension."""
    name = path.lower()
    for suffix in _COMPRESSION:
        name = name.removesuffix(suffix)
    return BUILDERS.get(os.path.splitext(name)[1])


def load_hf_dataset(name_or_path: str, *, split: str, **load_kwargs: Any) -> Any:
    """``datasets.load_dataset`` for a hub name, a local folder, or local data files (a glob works)."""
    import datasets

    local_files = (
        sorted(globlib.glob(name_or_path))
        if globlib.has_magic(name_or_path)
        else ([name_or_path] if os.path.isfile(name_or_path) else [])
    )
    if local_files or globlib.has_magic(name_or_path):
        if not local_files:
            raise InputError(f"Hugging Face input {name_or_path!r} matches no local file")
        builder = _builder_for(local_files[0])
        if builder is None:
            raise InputError(
                f"cannot tell the format of {local_files[0]!r}; pass a hub name or a folder, "
                f"or a file ending in one of {sorted(BUILDERS)}"
            )
        return datasets.load_dataset(builder, data_files={split: local_files}, split=split, **load_kwargs)
    try:
        return datasets.load_dataset(name_or_path, split=split, **load_kwargs)
    except FileNotFoundError as error:
        raise InputError(f"Hugging Face dataset {name_or_path!r} (split {split!r}) not found: {error}") from error


def _arrow_batches(dataset: Any, batch_rows: int) -> Iterator[pa.Table]:
    """The dataset's rows as Arrow tables, for a map-style or a streaming dataset."""
    for batch in dataset.with_format("arrow").iter(batch_size=batch_rows):
        yield batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])


def export_parquet(dataset: Any, folder: str, *, rows_per_file: int = 100_000, batch_rows: int = 1_000) -> int:
    """Write a dataset to ``folder/part-NNNNN.parquet`` with a row-number column; returns the row count."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(folder)
    fs.makedirs(root, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    rows = in_file = files = 0
    schema: pa.Schema | None = None
    try:
        for table in _arrow_batches(dataset, min(batch_rows, rows_per_file)):
            table = table.append_column(ROW, pa.array(range(rows, rows + table.num_rows), type=pa.int64()))
            schema = schema or table.schema
            if writer is None or in_file >= rows_per_file:
                if writer is not None:
                    writer.close()
                writer = pq.ParquetWriter(f"{root}/part-{files:05d}.parquet", schema, filesystem=fs)
                files, in_file = files + 1, 0
            writer.write_table(table.cast(schema))
            rows, in_file = rows + table.num_rows, in_file + table.num_rows
        if writer is None:  # an empty split: one empty file carries the schema
            features = getattr(dataset, "features", None)
            if features is None:
                raise InputError("the dataset is empty and declares no features; nothing to read")
            empty = features.arrow_schema.empty_table()
            empty = empty.append_column(ROW, pa.array([], type=pa.int64()))
            pq.write_table(empty, f"{root}/part-00000.parquet", filesystem=fs)
    finally:
        if writer is not None:
            writer.close()
    return rows


def read_hf(
    spark: SparkSession,
    name_or_path: str,
    *,
    split: str = "train",
    text_column: str = "text",
    id_column: str | None = None,
    metadata_columns: Sequence[str] = (),
    work_dir: str,
    source: str | None = None,
    config: str | None = None,
    rows_per_file: int = 100_000,
    **load_kwargs: Any,
) -> DataFrame:
    """Read a Hugging Face dataset split into documents (``hf.*`` codes for null or blank text).

    Args:
        name_or_path: hub name (``allenai/c4``), a local dataset folder, or local data files / a glob.
        work_dir: where the Parquet hand-over files go (a fresh sub-folder per call); executors must see it.
        id_column: column holding the natural key; else the dataset label, split and row number.
        config: the dataset configuration (``load_dataset``'s ``name``, e.g. ``"en"`` for allenai/c4).
        rows_per_file: rows per hand-over Parquet file (Spark reads one or more files per task).
        load_kwargs: passed to ``datasets.load_dataset`` (``revision=``, ``data_files=``, ``streaming=True``...).
    """
    if rows_per_file < 1:
        raise ConfigError(f"rows_per_file must be >= 1, got {rows_per_file}")
    label = os.path.basename(name_or_path.rstrip("/")) if os.path.exists(name_or_path) else name_or_path
    if config is not None:
        load_kwargs["name"] = config
    dataset = load_hf_dataset(name_or_path, split=split, **load_kwargs)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{label}-{split}")[:80]
    folder = f"{work_dir.rstrip('/')}/hf-{slug}-{uuid.uuid4().hex[:8]}"
    export_parquet(dataset, folder, rows_per_file=rows_per_file)
    df = spark.read.parquet(folder)
    key = F.concat_ws("/", F.lit(label), F.lit(config or ""), F.lit(split), F.col(ROW).cast("string"))
    return from_typed_frame(
        df,
        text_column=text_column,
        id_column=id_column,
        metadata_columns=metadata_columns,
        source=source or label,
        key=key,
        origin=F.concat_ws(":", F.lit(f"{name_or_path}[{split}]"), F.col(ROW)),
        missing_code=HF_MISSING_TEXT,
        empty_code=HF_EMPTY_TEXT,
    )
