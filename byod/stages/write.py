"""WriteMDS: write a DataFrame as an MDS dataset (one folder per partition, root index last); ValidateMDS."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from byod.errors import ByodError, OutputExistsError, SchemaError
from byod.mds.encodings import get_coder
from byod.mds.index import (
    clear_output,
    is_local,
    list_entries,
    local_path,
    merge_index,
    part_name,
    publish_index,
    remove_tree,
)
from byod.mds.validate import validate_mds
from byod.mds.writer import DEFAULT_HASHES, DEFAULT_SIZE_LIMIT, ShardWriter, check_hashes, parse_compression
from byod.stages.base import Stage
from byod.stages.packing import PackingStats
from byod.stages.tokenize import PACK_STATS, TOKENS
from byod.tokenizers import TokenizerKind

__all__ = ["ShardFormat", "WriteMDS", "WriteResult", "ValidateMDS", "validate_mds"]

_STAGING = "_staging"
_RESULT_SCHEMA = "partition int, result string, tokens long, pack_stats string"
#: ``df.transform(WriteMDS(...))``'s one row: WriteResult's fields, dicts and lists as JSON text.
_RESULT_ROW_SCHEMA = ("output string, samples long, shards long, bytes long, tokens long, partitions long, "
                      "columns string, compression string, packing string, partition_samples string")


@dataclass
class WriteResult:
    """What a WriteMDS run published; ``to_dict()`` goes into report.json."""

    output: str
    samples: int
    shards: int
    bytes: int
    tokens: int
    partitions: int
    columns: dict[str, str]
    compression: str | None
    packing: PackingStats | None = None
    partition_samples: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "packing"}
        data["packing"] = self.packing.to_dict() if self.packing is not None else None
        return data


def _default_columns(df: DataFrame) -> dict[str, str]:
    if TOKENS in df.columns:
        return {TOKENS: "ndarray:int32"}
    if "text" in df.columns:
        return {"text": "str"}
    raise SchemaError(f"WriteMDS needs columns=...; the frame has neither '{TOKENS}' nor 'text': {df.columns}")


def _column_values(column: pa.Array, encoding: str, spark_type: T.DataType) -> list[Any]:
    """One Arrow column as the values the encoder takes (numpy slices for ndarray columns)."""
    if encoding.startswith("ndarray") and isinstance(column, pa.ListArray):
        values = column.values.to_numpy(zero_copy_only=False)
        offsets = column.offsets.to_numpy()
        nulls = column.is_null().to_numpy(zero_copy_only=False)
        return [None if nulls[i] else values[offsets[i]:offsets[i + 1]] for i in range(len(column))]
    items = column.to_pylist()
    if encoding == "json" and isinstance(spark_type, T.StringType):
        return [None if v is None else json.loads(v) for v in items]  # a JSON-text column: store the object
    return items


@dataclass(frozen=True, kw_only=True)
class ShardFormat:
    """How MDS shards are encoded, without where they go: a sink chooses each split's folder itself.

    Args: as :class:`WriteMDS`'s ``columns``, ``compression``, ``size_limit`` and ``hashes``.
    """

    columns: Mapping[str, str] | None = None
    compression: str | None = "zstd"
    size_limit: int | None = DEFAULT_SIZE_LIMIT
    hashes: tuple[str, ...] = DEFAULT_HASHES

    def __post_init__(self) -> None:
        object.__setattr__(self, "hashes", tuple(self.hashes))  # YAML gives a list
        if self.columns is not None:
            if not self.columns:
                raise ValueError("columns must name at least one column, or be None")
            for encoding in self.columns.values():
                get_coder(encoding)
        parse_compression(self.compression)
        check_hashes(self.hashes)
        if self.size_limit is not None and (isinstance(self.size_limit, bool) or self.size_limit < 1):
            raise ValueError(f"size_limit must be >= 1 byte or None, got {self.size_limit}")

    def writer(self, output: str, **overrides: Any) -> WriteMDS:
        """A WriteMDS into an empty ``output`` with these settings (``overrides``: e.g. ``columns``)."""
        settings = {"columns": self.columns, "compression": self.compression, "size_limit": self.size_limit,
                    "hashes": self.hashes, **overrides}
        return WriteMDS(output=output, overwrite=False, **settings)


@dataclass(frozen=True, kw_only=True)
class WriteMDS(Stage):
    """Write a DataFrame as an MDS dataset that streaming and llm-foundry read without conversion.

    Triggers one Spark job. Each partition writes ``part-NNNNN/shard.NNNNN.mds[.zstd]`` (``NNNNN`` is the
    partition number, so a retried task rewrites its own folder; locally it writes into ``_staging`` and
    renames). Workers encode with :mod:`byod.mds` and never import streaming. The driver merges the shard
    entries the tasks return, in partition order, into the root ``index.json``, written last under a
    temporary name and renamed, and only when every partition succeeded. fsspec URLs (``s3://``,
    ``dbfs:/...``) are written from a local staging folder per task. A Tokenize output's summary rows
    (:data:`byod.stages.tokenize.PACK_STATS`) are not written: their counts come back in the result.

    ``write(df)`` returns a :class:`WriteResult`; ``df.transform(WriteMDS(...))`` runs the same write and
    returns that result as a one-row DataFrame.

    Args:
        output: the dataset folder (local path or fsspec URL).
        columns: column -> MDS encoding (``'ndarray:int32'``, ``'str'``, ``'json'``, ...); None takes
            ``{'tokens': 'ndarray:int32'}`` or ``{'text': 'str'}`` from the frame.
        compression: ``'zstd'``, ``'zstd:LEVEL'``, ``'gz'``, ``'bz2'`` or None for raw ``.mds`` shards.
        size_limit: bytes per shard before a new one starts (uncompressed); None puts each partition in one.
        hashes: sorted hash names stored per shard file (``'sha1'``, ``'xxh64'``, ...) for ValidateMDS and
            streaming's ``validate_hash``; default :data:`byod.mds.writer.DEFAULT_HASHES` (xxh64: ~4x
            sha1's speed, and streaming accepts it); ``()`` stores none and leaves corruption undetectable.
        overwrite: empty a non-empty ``output`` first; False raises OutputExistsError.
    """

    ends_run: ClassVar[bool] = True

    output: str
    columns: Mapping[str, str] | None = None
    compression: str | None = "zstd"
    size_limit: int | None = DEFAULT_SIZE_LIMIT
    hashes: tuple[str, ...] = DEFAULT_HASHES
    overwrite: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.output, str) or not self.output:
            raise TypeError(f"output must be a non-empty path or URL, got {self.output!r}")
        ShardFormat(columns=self.columns, compression=self.compression, size_limit=self.size_limit,
                    hashes=self.hashes)  # checks the encoding settings

    def __call__(self, df: DataFrame) -> DataFrame:
        result = self.write(df)
        row = {k: (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v)
               for k, v in result.to_dict().items()}
        return df.sparkSession.createDataFrame([row], _RESULT_ROW_SCHEMA)  # typed: nulls need no inference

    def write(self, df: DataFrame) -> WriteResult:
        """Run the write job, publish the root index, and return what was written."""
        columns = dict(self.columns) if self.columns is not None else _default_columns(df)
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise SchemaError(f"{self.name}: columns {missing} are not in the frame {df.columns}")
        self._prepare_output()
        has_stats = PACK_STATS in df.columns
        frame = df.select(*columns, *([PACK_STATS] if has_stats else []))
        types = {f.name: f.dataType for f in frame.schema.fields}
        run = _partition_writer(self.output, columns, types, self.compression, self.size_limit, self.hashes)
        try:
            rows = frame.mapInArrow(run, _RESULT_SCHEMA).collect()
        except Exception as exc:  # Py4J / PythonException / Connect errors: keep the Python message first
            text = str(exc)
            detail = text[text.rfind("Error:") - 40:][:600] if "Error:" in text else text[:600]
            raise ByodError(f"{self.name} failed in a Spark task; no index.json was written. {detail}") from exc
        return self._publish(rows, columns)

    def _prepare_output(self) -> None:
        existing = [n for n in list_entries(self.output) if n != _STAGING]
        if existing and not self.overwrite:
            raise OutputExistsError(f"{self.output} is not empty ({existing[:5]}); pass overwrite=True to replace it")
        if existing or _STAGING in list_entries(self.output):
            clear_output(self.output)

    def _publish(self, rows: list[Any], columns: dict[str, str]) -> WriteResult:
        parts = sorted(rows, key=lambda r: r["partition"])
        seen = [r["partition"] for r in parts]
        if len(seen) != len(set(seen)):
            raise ByodError(f"{self.name}: a partition reported twice ({seen}); nothing was published")
        packing = _sum_pack_stats([r["pack_stats"] for r in parts])
        results = [(part_name(r["partition"]), json.loads(r["result"])) for r in parts]
        index = merge_index((name, res["shards"]) for name, res in results if res["shards"])
        if is_local(self.output):
            remove_tree(os.path.join(local_path(self.output), _STAGING))
        publish_index(self.output, index)
        return WriteResult(
            output=self.output, samples=sum(res["samples"] for _, res in results),
            shards=len(index["shards"]), bytes=sum(res["bytes"] for _, res in results),
            tokens=sum(r["tokens"] for r in parts), partitions=len(parts), columns=columns,
            compression=self.compression, packing=packing,
            partition_samples=[res["samples"] for _, res in results],
        )


def _sum_pack_stats(texts: list[str | None]) -> PackingStats | None:
    """Sum per-partition packing stats (lists of JSON texts); None when the input had none."""
    total: PackingStats | None = None
    for text in texts:
        for item in json.loads(text) if text else []:
            total = (total or PackingStats()).merge(PackingStats.from_dict(item))
    return total


def _partition_writer(output: str, columns: dict[str, str], types: dict[str, T.DataType], compression: str | None,
                      size_limit: int | None, hashes: tuple[str, ...]):
    """The mapInArrow body: writes one partition's shards, yields one result row."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        partition = ctx.partitionId() if ctx is not None else 0
        attempt = ctx.attemptNumber() if ctx is not None else 0
        local = is_local(output)
        if local:
            staging = os.path.join(local_path(output), _STAGING, f"{part_name(partition)}.attempt-{attempt}")
            shutil.rmtree(staging, ignore_errors=True)
            os.makedirs(staging)
        else:
            staging = tempfile.mkdtemp(prefix=f"byod-{part_name(partition)}-")
        writer = ShardWriter(out_dir=staging, columns=columns, compression=compression, hashes=hashes,
                             size_limit=size_limit)
        names = list(writer.names)
        stats: list[Any] = []
        tokens = 0
        for batch in batches:
            if PACK_STATS in batch.schema.names:
                summary = batch.column(batch.schema.get_field_index(PACK_STATS))
                stats.extend(json.loads(s) for s in summary.drop_null().to_pylist())
                batch = batch.filter(summary.is_null())
            values = {n: _column_values(batch.column(batch.schema.get_field_index(n)), columns[n], types[n])
                      for n in names}
            if TOKENS in values and columns.get(TOKENS, "").startswith("ndarray"):
                tokens += sum(len(v) for v in values[TOKENS] if v is not None)
            for i in range(batch.num_rows):
                writer.write({n: values[n][i] for n in names})
        result = writer.finish()
        final = f"{output.rstrip('/')}/{part_name(partition)}"
        if result.shards:
            if local:
                shutil.rmtree(local_path(final), ignore_errors=True)
                os.replace(staging, local_path(final))
            else:
                from fsspec.core import url_to_fs

                fs, path = url_to_fs(final)
                if fs.exists(path):
                    fs.rm(path, recursive=True)
                fs.makedirs(path, exist_ok=True)
                for shard in sorted(os.listdir(staging)):
                    fs.put_file(os.path.join(staging, shard), f"{path}/{shard}")
        shutil.rmtree(staging, ignore_errors=True)
        row = {"partition": [partition], "result": [json.dumps(result.to_dict())], "tokens": [tokens],
               "pack_stats": [json.dumps(stats) if stats else None]}
        yield pa.RecordBatch.from_pydict(row, schema=pa.schema([
            ("partition", pa.int32()), ("result", pa.string()), ("tokens", pa.int64()), ("pack_stats", pa.string())]))

    return run


@dataclass(frozen=True, kw_only=True)
class ValidateMDS:
    """Read a written MDS dataset back with byod's reader and check it; ``run()`` returns the report dict.

    Checks index.json's structure, every shard's size and hashes against it, each shard's header and
    offsets, decodes every sample (each column's bytes must match its encoding exactly), the sample count
    per shard and in total (against ``expected_samples``, e.g. ``WriteResult.samples``), the column layout,
    and that ``tokens`` ids lie in ``[0, vocab size)``. Runs on the driver (no Spark job). Raises a one-line
    MDSFormatError naming the file on the first problem. The report's ``hashes_checked`` is true only when
    every shard had hashes and they matched; ``decode_samples`` samples are previewed as ``decoded`` text
    (with a tokenizer), ``first_tokens`` (ids, without) or ``first_values`` (no tokens column).

    Args:
        output: the dataset folder (local path or fsspec URL).
        expected_samples: the sample count the writer reported; None skips that check.
        tokenizer: decodes samples and gives the vocabulary size; None skips decoding.
        tokenizer_kind: ``'auto'``, ``'hf'`` or ``'tiktoken'``.
        vocab_size: upper bound for token ids when no tokenizer is given; None skips the range check.
        decode_samples: samples previewed in the report (first characters or token ids kept).
        check_hashes: verify the hashes stored in index.json (False reports ``hashes_checked: false``).
    """

    output: str
    expected_samples: int | None = None
    tokenizer: str | None = None
    tokenizer_kind: TokenizerKind = "auto"
    vocab_size: int | None = None
    decode_samples: int = 3
    check_hashes: bool = True

    def __post_init__(self) -> None:
        if self.decode_samples < 0:
            raise ValueError(f"decode_samples must be >= 0, got {self.decode_samples}")
        if self.vocab_size is not None and self.vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1 or None, got {self.vocab_size}")

    def run(self) -> dict[str, Any]:
        """Validate and return ``{'ok': True, 'samples': ..., 'shards': ..., 'max_token_id': ..., ...}``."""
        return validate_mds(self.output, expected_samples=self.expected_samples, tokenizer=self.tokenizer,
                            tokenizer_kind=self.tokenizer_kind, vocab_size=self.vocab_size,
                            decode_samples=self.decode_samples, check_hashes=self.check_hashes)
