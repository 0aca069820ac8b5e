"""``read_source``: one reader call from a config entry, so a job lists its sources as data."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from byod.errors import ConfigError
from byod.sources.arxiv_latex import read_arxiv_latex
from byod.sources.arxiv_pdf import read_arxiv_pdf
from byod.sources.c4 import read_c4
from byod.sources.files import read_csv, read_jsonl, read_parquet, read_table, read_text
from byod.sources.hf import read_hf

#: format -> (reader, the spec key holding its first positional argument).
READERS: dict[str, tuple[Callable[..., DataFrame], str]] = {
    "c4": (read_c4, "paths"),
    "jsonl": (read_jsonl, "paths"),
    "parquet": (read_parquet, "paths"),
    "text": (read_text, "paths"),
    "csv": (read_csv, "paths"),
    "table": (read_table, "name"),
    "hf": (read_hf, "name"),
    "latex": (read_arxiv_latex, "paths"),
    "pdf": (read_arxiv_pdf, "paths"),
}


def read_source(spark: SparkSession, spec: Mapping[str, Any]) -> DataFrame:
    """Read one source described as ``{"format": ..., "paths"|"name": ..., <reader options>}``.

    Example: ``{"format": "c4", "paths": "data/c4/*.json.gz", "source": "c4"}`` or
    ``{"format": "hf", "name": "allenai/c4", "config": "en", "split": "validation", "work_dir": "/tmp/hf"}``.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"a source must be a mapping with a 'format' key, got {type(spec).__name__}")
    options = dict(spec)
    fmt = options.pop("format", None)
    if fmt not in READERS:
        raise ConfigError(f"source format {fmt!r} is not one of {sorted(READERS)}")
    reader, first = READERS[fmt]
    if first not in options:
        raise ConfigError(f"source of format {fmt!r} needs a {first!r} key; got keys {sorted(spec)}")
    target = options.pop(first)
    try:
        inspect.signature(reader).bind(spark, target, **options)
    except TypeError as error:
        raise ConfigError(f"source of format {fmt!r}: bad options {sorted(options)}: {error}") from error
    return reader(spark, target, **options)


#: ``read_one(spark, format, target, source_name, options)``: one configured source to a frame.
ReadOne = Callable[[SparkSession, str, Any, str, dict[str, Any]], DataFrame]


def read_one_source(spark: SparkSession, fmt: str, target: Any, name: str, options: dict[str, Any]) -> DataFrame:
    """The default :data:`ReadOne`: the reader of ``fmt`` with the source's name and options."""
    if fmt not in READERS:
        raise ConfigError(f"source format {fmt!r} is not one of {sorted(READERS)}")
    return read_source(spark, {"format": fmt, READERS[fmt][1]: target, "source": name, **options})


def read_sources(spark: SparkSession, sources: Sequence[Any], *, work_dir: str,
                 read_one: ReadOne | None = None) -> DataFrame:
    """One frame from a job's sources (objects with ``name``, ``format``, ``paths``, ``options``).

    A table or Hugging Face source takes its first path as the name; HF datasets are staged under
    ``work_dir``. ``read_one`` reads one source (default: :func:`read_source`'s readers).
    """
    from byod.config import to_plain

    frames = []
    for spec in sources:
        options = dict(to_plain(spec.options) or {})
        target = spec.paths[0] if spec.format in ("table", "hf") else list(spec.paths)
        if spec.format == "hf":
            options.setdefault("work_dir", f"{work_dir.rstrip('/')}/hf-{spec.name}")
        frames.append((read_one or read_one_source)(spark, spec.format, target, spec.name, options))
    if not frames:
        raise ConfigError("no sources are configured")
    docs = frames[0]
    for frame in frames[1:]:
        docs = docs.unionByName(frame, allowMissingColumns=True)
    return docs
