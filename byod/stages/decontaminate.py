"""Decontamination: drop (or mark) documents that share a word n-gram with a user-given evaluation set.

How it works, in DataFrame operations only (no broadcast forced, nothing collected but a few integers):

1. Both sides are normalised the same way: lower-case; every run of Unicode punctuation, symbols and
   whitespace becomes one space; trimmed. Words are what the spaces separate (``"U.S. GDP, 2021"`` ->
   ``u s gdp 2021``). No diacritic folding and no number rewriting (DataTrove does both).
2. Each eval item of at least ``n`` words gives its word ``n``-grams; an item of ``min_eval_words`` to
   ``n - 1`` words is one n-gram of its own length (the whole item, as GPT-3's and lm-eval's
   decontamination treat short items); shorter items are ignored (too common to mean contamination).
3. Each live document gives the hashes (64-bit ``xxhash64`` of the words joined by one space) of its
   ``n``-grams and, for each length a short eval item has, of its n-grams of that length.
4. An equi-join on the hash finds the documents that share one; the smallest matched item id goes to
   ``match_column``, all matched ids to a working column (the report counts distinct items from it).

Reference: Brown et al. 2020 (GPT-3), appendix C; DataTrove 0.9.0's ``NGramsDecontFilter`` (12-grams,
spaCy words, an index of hashes loaded into every worker's memory).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any, ClassVar

import fsspec
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from byod.columns import ID, STAGE_REASON, TEXT
from byod.errors import ConfigError, SchemaError
from byod.stages.base import Filter, live_condition, require_columns
from byod.stages.dedup.survivor import reason_column

NGRAM_OVERLAP = "decontam.ngram_overlap"
#: Working columns: every matched eval item of a document; the join keys.
MATCHED_ITEMS = "_byod_decontam_items"
_TEXT_HASH = "_byod_decontam_text"
_GRAM = "_byod_decontam_gram"
_ITEM = "_byod_decontam_item"
_WORDS = "_byod_decontam_words"
#: Java regex: one run of punctuation, symbols, separators and whitespace becomes one space.
_NOT_WORD = r"[\p{P}\p{S}\p{Z}\s]+"
JSONL_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)


def normalized_words(text: Column) -> Column:
    """The words of ``text`` after the normalisation above, as an array (empty for empty text)."""
    return F.array_remove(F.split(F.trim(F.regexp_replace(F.lower(text), _NOT_WORD, " ")), " "), "")


def word_grams(words: Column, n: int) -> Column:
    """Every window of ``n`` consecutive words joined by a space (empty when fewer words).

    Built from ``n`` shifted slices zipped pairwise, so no lambda reads the whole array: a lambda that
    did would let Spark inline the array's regex work into it and redo it once per position.
    """
    count = F.greatest(F.size(words) - n + 1, F.lit(0))
    grams = F.slice(words, 1, count)
    for shift in range(1, n):
        grams = F.zip_with(grams, F.slice(words, shift + 1, count), lambda a, b: F.concat(a, F.lit(" "), b))
    return F.when(F.size(words) >= n, grams).otherwise(F.array().cast("array<string>"))


def gram_hashes(words: Column, n: int) -> Column:
    """``xxhash64`` of every window of ``n`` consecutive words joined by a space (empty when fewer)."""
    return F.transform(word_grams(words, n), lambda gram: F.xxhash64(gram))


def _is_jsonl(path: str) -> bool:
    return path.lower().endswith(JSONL_SUFFIXES)


def expand_eval_paths(paths: tuple[str, ...], stage: str) -> tuple[str, ...]:
    """Files named, and the jsonl/parquet files directly inside folders named; a missing path is an error."""
    files: list[str] = []
    for path in paths:
        fs, local = fsspec.core.url_to_fs(path)
        if not fs.exists(local):
            raise ConfigError(f"{stage}: eval file '{path}' does not exist")
        if fs.isdir(local):
            inside = sorted(p for p in fs.ls(local, detail=False) if p.lower().endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES))
            if not inside:
                raise ConfigError(f"{stage}: eval folder '{path}' holds no .jsonl[.gz]/.json/.parquet file")
            files.extend(fs.unstrip_protocol(p) if "://" in path else p for p in inside)
        elif path.lower().endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES):
            files.append(path)
        else:
            raise ConfigError(f"{stage}: eval file '{path}' is neither JSON lines (.jsonl, .jsonl.gz, .json) "
                              "nor Parquet (.parquet)")
    return tuple(files)


def _first_record(path: str, stage: str) -> dict[str, Any] | None:
    """The first record of a JSON-lines file (None when it has none): read on the driver, one line only."""
    with fsspec.open(path, "rb") as raw:
        handle = gzip.open(raw) if path.lower().endswith(".gz") else raw
        for number, line in enumerate(handle, start=1):
            try:
                decoded = line.decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigError(f"{stage}: eval file '{path}' line {number} is not UTF-8") from None
            if not decoded.strip():
                continue
            try:
                record = json.loads(decoded)
            except json.JSONDecodeError as error:
                raise ConfigError(f"{stage}: eval file '{path}' line {number} is not JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise ConfigError(f"{stage}: eval file '{path}' line {number} is not a JSON object")
            return record
    return None


def check_eval_files(files: tuple[str, ...], fields: tuple[str, ...], stage: str) -> None:
    """Before Spark starts: every file's first record has the text fields; the set holds a record at all."""
    import pyarrow.parquet as pq

    records = 0
    for path in files:
        if _is_jsonl(path):
            record = _first_record(path, stage)
            names, rows = (list(record) if record else []), (1 if record else 0)
        else:
            with fsspec.open(path, "rb") as handle:
                meta = pq.ParquetFile(handle).metadata
                names, rows = meta.schema.to_arrow_schema().names, meta.num_rows
        missing = [f for f in fields if rows and f not in names]
        if missing:
            raise ConfigError(f"{stage}: eval file '{path}' has no field {missing[0]!r} (text_field); "
                              f"its records have {sorted(names)[:20]}")
        records += rows
    if records == 0:
        raise ConfigError(f"{stage}: the eval set {list(files)} holds no record; export the benchmark's texts first")


@dataclass(frozen=True, kw_only=True)
class Decontaminate(Filter):
    """Drop documents sharing a word n-gram with an evaluation set, so a benchmark's texts stay unseen.

    Rules, in order: normalise (lower-case, punctuation/symbols/whitespace runs to one space); eval
    items of ``n`` words or more contribute their ``n``-grams, items of ``min_eval_words`` .. ``n - 1``
    words contribute themselves whole, shorter ones nothing; a live document containing any of these
    n-grams is contaminated. Runs one small Spark job while planning (the lengths of short eval items).

    Args:
        eval_paths: JSON-lines (``.jsonl``, ``.jsonl.gz``, ``.json``) or Parquet files, or folders of them.
        text_field: the field holding the eval text; several fields are joined by a space in the order
            given (``("question", "answer")``: n-grams may span both, as DataTrove's overlap n-grams do).
        id_field: the field naming an item; ``None``: ``<file name>:<line>`` (1-based) for JSON lines,
            ``<file name>:<row>`` (1-based) for Parquet.
        n: n-gram length in words (13: GPT-3, lm-eval, Dolma; DataTrove uses 12).
        min_eval_words: eval items shorter than this (in words) are ignored; ``None``: ``n`` (only full
            n-grams). 8 is GPT-3's smallest n-gram.
        mark_only: keep contaminated documents, only fill ``match_column`` (no reason set).
        match_column: the output column naming the smallest matched eval item (null when none).

    Reason code: ``decontam.ngram_overlap``.
    """

    eval_paths: tuple[str, ...]
    text_field: str | tuple[str, ...] = "text"
    id_field: str | None = None
    n: int = 13
    min_eval_words: int | None = 8
    mark_only: bool = False
    match_column: str = "decontam_match"
    needs_materialized_input: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        paths = (self.eval_paths,) if isinstance(self.eval_paths, str) else self.eval_paths
        if not isinstance(paths, (tuple, list)) or not paths or not all(isinstance(p, str) and p for p in paths):
            raise ConfigError(f"{self.name}.eval_paths must be a file/folder path or a list of them; "
                              f"got {self.eval_paths!r}")
        fields = (self.text_field,) if isinstance(self.text_field, str) else self.text_field
        if not isinstance(fields, (tuple, list)) or not fields or not all(isinstance(f, str) and f for f in fields):
            raise ConfigError(f"{self.name}.text_field must be a field name or a list of them; got {self.text_field!r}")
        if self.id_field is not None and (not isinstance(self.id_field, str) or not self.id_field):
            raise ConfigError(f"{self.name}.id_field must be a field name or null; got {self.id_field!r}")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ConfigError(f"{self.name}.n must be a whole number of words >= 1; got {self.n!r}")
        low = self.min_eval_words
        if low is not None and (isinstance(low, bool) or not isinstance(low, int) or not 1 <= low <= self.n):
            raise ConfigError(f"{self.name}.min_eval_words must be null or 1..n ({self.n}); got {low!r}")
        if not isinstance(self.mark_only, bool):
            raise ConfigError(f"{self.name}.mark_only must be true or false; got {self.mark_only!r}")
        if not isinstance(self.match_column, str) or not self.match_column or self.match_column.startswith("_byod_"):
            raise ConfigError(f"{self.name}.match_column must be a column name not starting with _byod_; "
                              f"got {self.match_column!r}")
        object.__setattr__(self, "eval_paths", tuple(paths))
        object.__setattr__(self, "text_field", fields[0] if len(fields) == 1 else tuple(fields))
        files = expand_eval_paths(self.eval_paths, self.name)
        check_eval_files(files, tuple(fields) + ((self.id_field,) if self.id_field else ()), self.name)
        object.__setattr__(self, "_files", files)

    @property
    def _low(self) -> int:
        """The fewest words an eval item must have to count."""
        return self.n if self.min_eval_words is None else self.min_eval_words

    @property
    def _fields(self) -> tuple[str, ...]:
        return (self.text_field,) if isinstance(self.text_field, str) else self.text_field

    def eval_items(self, spark: SparkSession) -> DataFrame:
        """``(item, words)`` per eval record with a text: the id (or file:line) and its normalised words."""
        wanted = list(dict.fromkeys([*self._fields, *([self.id_field] if self.id_field else [])]))
        frames = []
        jsonl = [p for p in self._files if _is_jsonl(p)]
        parquet = [p for p in self._files if not _is_jsonl(p)]
        if jsonl:
            # One row per file, split into lines here: the line number is the position (no RDD index).
            schema = StructType([StructField(f, StringType()) for f in wanted])
            lines = (spark.read.text(jsonl, wholetext=True)
                     .select(F.col("_metadata.file_name").alias("file"),
                             F.posexplode(F.split("value", "\n")).alias("pos", "line"))
                     .filter(F.trim("line") != "")
                     .select("file", (F.col("pos") + 1).alias("row"), F.from_json("line", schema).alias("r")))
            frames.append(lines.select("file", "row", *[F.col(f"r.`{f}`").alias(f) for f in wanted]))
        if parquet:
            table = spark.read.parquet(*parquet)
            frames.append(table.select(F.col("_metadata.file_name").alias("file"),
                                       (F.col("_metadata.row_index") + 1).alias("row"),
                                       *[F.col(f"`{f}`").cast("string").alias(f) for f in wanted]))
        items = frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])
        text = F.concat_ws(" ", *[F.col(f) for f in self._fields])
        name = F.concat(F.col("file"), F.lit(":"), F.col("row").cast("string"))
        if self.id_field:
            name = F.coalesce(F.col(self.id_field), name)
        return items.select(name.alias(_ITEM), normalized_words(text).alias(_WORDS))

    def _short_lengths(self, items: DataFrame) -> list[int]:
        """The word counts of short eval items (one small job: at most ``n - 1`` integers come back)."""
        size = F.size(_WORDS)
        rows = items.filter((size >= self._low) & (size < self.n)).select(size.alias("k")).distinct().collect()
        return sorted(int(r["k"]) for r in rows)

    def answer_columns(self) -> tuple[str, ...]:
        """Marking only, the matched items are what a standalone call is for: it returns them."""
        return (MATCHED_ITEMS,) if self.mark_only else ()

    def annotate(self, df: DataFrame) -> DataFrame:
        require_columns(df, self.name, ID, TEXT)
        for column in (self.match_column, MATCHED_ITEMS):
            if column in df.columns:
                raise SchemaError(f"{self.name} writes column '{column}', which the frame already has; "
                                  "set match_column to another name")
        items = self.eval_items(df.sparkSession)
        lengths = [*self._short_lengths(items), self.n]
        size = F.size(_WORDS)
        whole = F.array(F.xxhash64(F.array_join(F.col(_WORDS), " ")))
        eval_grams = (items.filter(size >= self._low)
                      .select(_ITEM, F.explode(F.when(size >= self.n, gram_hashes(F.col(_WORDS), self.n))
                                               .otherwise(whole)).alias(_GRAM))
                      .distinct())
        keyed = df.withColumn(_TEXT_HASH, F.xxhash64(TEXT))
        words = normalized_words(F.col(TEXT))
        doc_grams = (keyed.filter(live_condition(keyed) & F.col(TEXT).isNotNull())
                     .select(ID, _TEXT_HASH, words.alias(_WORDS))
                     .select(ID, _TEXT_HASH, F.explode(F.array_distinct(
                         F.flatten(F.array(*[gram_hashes(F.col(_WORDS), k) for k in lengths])))).alias(_GRAM)))
        matches = (doc_grams.join(eval_grams, _GRAM)
                   .groupBy(ID, _TEXT_HASH)
                   .agg(F.min(_ITEM).alias(self.match_column),
                        F.array_sort(F.collect_set(_ITEM)).alias(MATCHED_ITEMS)))
        out = keyed.join(matches, [ID, _TEXT_HASH], "left").drop(_TEXT_HASH)
        hit = F.col(self.match_column).isNotNull()
        reason = F.lit(None).cast("string") if self.mark_only else F.when(hit, F.lit(NGRAM_OVERLAP))
        return out.withColumn(STAGE_REASON, reason.cast("string"))

    def stats(self, annotated: DataFrame) -> dict[str, Any]:
        """Documents removed (or marked), distinct eval items matched, eval items used: three small jobs."""
        if self.match_column not in annotated.columns:
            return {}
        reason = reason_column(annotated)
        row = annotated.agg(
            F.sum(F.when(reason == NGRAM_OVERLAP, 1).otherwise(0)).alias("removed"),
            F.sum(F.when(F.col(self.match_column).isNotNull(), 1).otherwise(0)).alias("matched"),
        ).collect()[0]
        matched_items = (annotated.filter(F.col(MATCHED_ITEMS).isNotNull())
                         .select(F.explode(MATCHED_ITEMS).alias(_ITEM)).distinct().count())
        items = self.eval_items(annotated.sparkSession)
        totals = items.agg(F.count(F.lit(1)).alias("all"),
                           F.sum(F.when(F.size(_WORDS) >= self._low, 1).otherwise(0)).alias("used")).collect()[0]
        return {"documents_removed": int(row["removed"] or 0), "documents_matched": int(row["matched"] or 0),
                "eval_items_matched": int(matched_items), "eval_items": int(totals["all"]),
                "eval_items_used": int(totals["used"] or 0)}
