"""Tokenize and pack documents into fixed-length samples inside one Arrow operator per partition."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from byod.columns import ID, SOURCE, TEXT, WORK_PREFIX
from byod.errors import ConfigError, SchemaError
from byod.stages.base import Stage, require_columns
from byod.stages.packing import ConcatPacker, PackingStats
from byod.tokenizers import (
    PreparedTokenizer,
    TextTokenizer,
    TokenizerKind,
    TokenizerSpec,
    load_tokenizer,
    prepare_tokenizer,
)

#: The packed sample column (llm-foundry's StreamingTextDataset reads ``tokens``, ``ndarray:int32``).
TOKENS = "tokens"
#: One summary row per partition carries its PackingStats as JSON here; every other row has null.
PACK_STATS = f"{WORK_PREFIX}pack_stats"


def arrow_texts(column: pa.Array | pa.ChunkedArray) -> list[str | None]:
    """A string column as Python strings; invalid UTF-8 (e.g. from lone surrogates) becomes U+FFFD."""
    try:
        return column.to_pylist()
    except UnicodeDecodeError:
        raw = column.cast(pa.binary()).to_pylist()
        return [None if b is None else b.decode("utf-8", "replace") for b in raw]


def encode_batch(tokenizer: TextTokenizer, texts: list[str]) -> list[list[int]]:
    """Batch encode; texts Python holds with lone surrogates are repaired instead of failing the task."""
    try:
        return tokenizer.encode_batch(texts, add_special_tokens=True)
    except (TypeError, UnicodeEncodeError, ValueError):
        fixed = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]
        return tokenizer.encode_batch(fixed, add_special_tokens=True)


@dataclass(frozen=True, kw_only=True)
class Tokenize(Stage):
    """Tokenize documents and pack them into ``max_seq_len`` samples, as llm-foundry's ConcatTokensDataset.

    Rows are sorted by ``id`` within each partition (``repartition(num_partitions, id)`` first when
    ``num_partitions`` is set), so a run is reproducible. Per partition one ``mapInArrow`` task encodes
    batches of documents with the tokenizer loaded once per worker and packs them, the buffer carried
    across Arrow batches: per document ``bos_text tokens + document tokens (with the tokenizer's own
    special tokens) + eos_text tokens`` (bos/eos without special tokens); a sample is emitted whenever
    the buffer reaches ``max_seq_len``; ``no_wrap`` discards the rest of the buffer after each sample;
    the partition's last partial buffer is dropped and counted. Null or empty texts (and texts longer
    than ``max_doc_chars``) are counted and skipped. With ``concat=False`` each document becomes one
    ``text`` sample (llm-foundry's NoConcatDataset).

    Output: ``tokens`` (array<int>, length ``max_seq_len``) or ``text``, plus one summary row per
    partition whose :data:`PACK_STATS` holds that partition's :class:`PackingStats` as JSON (null on
    sample rows). :class:`byod.stages.write.WriteMDS` consumes both in the same pass; use
    :meth:`samples` to keep only sample rows. Triggers no Spark job.

    Args:
        tokenizer: folder, ``tokenizer.json`` file, hub id, or tiktoken encoding; optional with ``concat=False``.
        tokenizer_kind: ``'auto'``, ``'hf'`` or ``'tiktoken'``.
        tokenizer_revision: hub revision; None is the default branch.
        max_seq_len: tokens per sample (>= 1).
        bos_text: text put before each document, tokenized without added special tokens ('' for none);
            special-token text such as ``<|endoftext|>`` maps to its id (tiktoken included).
        eos_text: text put after each document, tokenized the same way; '' for none.
        no_wrap: discard the buffer's rest after each sample instead of starting the next sample with it.
        concat: False writes one ``{'text': str}`` sample per document, no tokenization needed.
        max_doc_chars: documents longer than this are counted in ``docs_too_long`` and skipped; None keeps all.
        text_column: the column with the text.
        num_partitions: repartition by ``id`` into this many partitions first (one MDS folder each); None
            keeps the input's partitions.
        batch_docs: documents per tokenizer call (the tokenizer parallelises within a call).
    """

    tokenizer: str | None = None
    tokenizer_kind: TokenizerKind = "auto"
    tokenizer_revision: str | None = None
    max_seq_len: int = 2048
    bos_text: str = ""
    eos_text: str = ""
    no_wrap: bool = False
    concat: bool = True
    max_doc_chars: int | None = None
    text_column: str = TEXT
    num_partitions: int | None = None
    batch_docs: int = 256
    ends_run: ClassVar[bool] = True

    def __post_init__(self) -> None:
        for name in ("max_seq_len", "batch_docs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        for name in ("max_doc_chars", "num_partitions"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be an int >= 1 or None, got {value!r}")
        if not isinstance(self.bos_text, str) or not isinstance(self.eos_text, str):
            raise TypeError("bos_text and eos_text must be str ('' for none)")
        if self.concat and self.tokenizer is None:
            raise ValueError("tokenizer is required to pack tokens; pass concat=False to write text samples")
        if self.tokenizer is not None:
            self.spec()  # a missing path or unknown encoding fails here, at construction

    def spec(self) -> TokenizerSpec:
        """The tokenizer this stage uses (validated, not loaded)."""
        if self.tokenizer is None:
            raise ValueError("this Tokenize has no tokenizer (concat=False without one)")
        return TokenizerSpec(name=self.tokenizer, kind=self.tokenizer_kind, revision=self.tokenizer_revision)

    def prepare(self) -> tuple[PreparedTokenizer | None, list[int], list[int]]:
        """Load the tokenizer on the driver; return it with the bos/eos ids; refuse unseparated packing."""
        if self.tokenizer is None:
            return None, [], []
        prepared = prepare_tokenizer(self.spec())
        tok = load_tokenizer(prepared)
        bos = tok.encode_marker(self.bos_text) if self.bos_text else []
        eos = tok.encode_marker(self.eos_text) if self.eos_text else []
        if self.concat and not bos and not eos and not tok.adds_special_tokens:
            raise ConfigError(
                f"tokenizer {self.tokenizer!r} adds no special tokens and bos_text/eos_text give no tokens: packed "
                "samples would run documents together with no separator. Set eos_text (e.g. '<|endoftext|>') "
                "or bos_text, or use a tokenizer that adds BOS/EOS."
            )
        return prepared, bos, eos

    @staticmethod
    def samples(df: DataFrame) -> DataFrame:
        """Only the sample rows of a Tokenize output, without the summary column."""
        return df.filter(F.col(PACK_STATS).isNull()).drop(PACK_STATS)

    def __call__(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, ID, self.text_column)
        out_col = TOKENS if self.concat else TEXT
        if PACK_STATS in df.columns:
            raise SchemaError(f"{self.name}: the input already has {PACK_STATS}; tokenize documents only once")
        prepared, bos, eos = self.prepare()
        frame = df.select(ID, self.text_column, *([SOURCE] if SOURCE in df.columns else []))
        if self.num_partitions is not None:
            frame = frame.repartition(self.num_partitions, ID)
        frame = frame.sortWithinPartitions(ID)
        schema = f"{out_col} {'array<int>' if self.concat else 'string'}, {PACK_STATS} string"
        return frame.mapInArrow(_partition_function(self, prepared, bos, eos), schema)


def _partition_function(stage: Tokenize, prepared: PreparedTokenizer | None, bos: list[int], eos: list[int]):
    """The mapInArrow body: closes over plain values only (no DataFrame, no session)."""
    text_column, max_doc_chars, batch_docs = stage.text_column, stage.max_doc_chars, stage.batch_docs
    concat, max_seq_len, no_wrap = stage.concat, stage.max_seq_len, stage.no_wrap

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        tok = load_tokenizer(prepared) if prepared is not None else None
        stats = PackingStats(partitions=1)
        packer = ConcatPacker(max_seq_len=max_seq_len, bos=bos, eos=eos, no_wrap=no_wrap, stats=stats)
        for batch in batches:
            texts = arrow_texts(batch.column(batch.schema.get_field_index(text_column)))
            has_source = SOURCE in batch.schema.names
            sources = batch.column(batch.schema.get_field_index(SOURCE)).to_pylist() if has_source else None
            stats.docs_in += len(texts)
            kept: list[str] = []
            kept_sources: list[str] = []
            for number, text in enumerate(texts):
                if not text:
                    stats.docs_empty += 1
                elif max_doc_chars is not None and len(text) > max_doc_chars:
                    stats.docs_too_long += 1
                else:
                    kept.append(text)
                    kept_sources.append(str(sources[number]) if sources is not None else "")
            for start in range(0, len(kept), batch_docs):
                chunk = kept[start:start + batch_docs]
                if not concat:
                    stats.docs_packed += len(chunk)
                    stats.samples += len(chunk)
                    if tok is not None:
                        stats.tokens_in += sum(len(ids) for ids in encode_batch(tok, chunk))
                    yield _text_batch(chunk)
                    continue
                encoded = encode_batch(tok, chunk)
                if has_source:
                    extra = len(bos) + len(eos)
                    for source, ids in zip(kept_sources[start:start + batch_docs], encoded):
                        stats.tokens_by_source[source] = stats.tokens_by_source.get(source, 0) + len(ids) + extra
                samples = packer.add(encoded)
                if len(samples):
                    yield _token_batch(samples)
        if concat:
            packer.finish()
        out_type = pa.list_(pa.int32()) if concat else pa.string()
        yield pa.RecordBatch.from_arrays([pa.nulls(1, out_type), pa.array([stats.to_json()], pa.string())],
                                         names=[TOKENS if concat else TEXT, PACK_STATS])

    return run


def _token_batch(samples: np.ndarray) -> pa.RecordBatch:
    count, size = samples.shape
    offsets = pa.array(np.arange(count + 1, dtype=np.int32) * size, pa.int32())
    tokens = pa.ListArray.from_arrays(offsets, pa.array(samples.reshape(-1), pa.int32()))
    return pa.RecordBatch.from_arrays([tokens, pa.nulls(count, pa.string())], names=[TOKENS, PACK_STATS])


def _text_batch(texts: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(texts, pa.string()), pa.nulls(len(texts), pa.string())],
                                      names=[TEXT, PACK_STATS])
