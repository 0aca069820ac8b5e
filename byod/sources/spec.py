"""``read_source``: one reader call from a config entry, so a job lists its sources as data."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pyspark.sql import DataFrame, SparkSession

from byod.errors import ConfigError
from byod.sources.arxiv_latex import read_arxiv_latex
from byod.sources.arxiv_pdf import read_arxiv_pdf
from byod.sources.c4 import read_c4
from byod.sources.files import read_csv, read_jsonl, read_parquet, read_table, read_text
from byod.sources.hf import read_hf


@dataclass(frozen=True)
class SourceFormat:
    """What a job needs to know of a reader besides calling it.

    Args:
        reader: ``reader(spark, target, *, source, **options) -> DataFrame``.
        target: the spec key holding its first argument: ``"paths"`` (files) or ``"name"`` (a table or a
            hub dataset: nothing local to check, size or fingerprint).
        whole_files: one document per file (LaTeX, PDF), so a few files cannot be spread over more tasks.
        staged: the reader copies its data under a ``work_dir`` option first (a hub dataset).
    """

    reader: Callable[..., DataFrame]
    target: Literal["paths", "name"] = "paths"
    whole_files: bool = False
    staged: bool = False

    @property
    def reads_files(self) -> bool:
        return self.target == "paths"


#: The one registry of source formats: a new reader is one file in byod/sources plus one line here.
READERS: dict[str, SourceFormat] = {
    "c4": SourceFormat(read_c4),
    "jsonl": SourceFormat(read_jsonl),
    "parquet": SourceFormat(read_parquet),
    "text": SourceFormat(read_text),
    "csv": SourceFormat(read_csv),
    "table": SourceFormat(read_table, target="name"),
    "hf": SourceFormat(read_hf, target="name", staged=True),
    "latex": SourceFormat(read_arxiv_latex, whole_files=True),
    "pdf": SourceFormat(read_arxiv_pdf, whole_files=True),
}


def source_format(fmt: str) -> SourceFormat:
    """The registered format, or a one-line ConfigError naming the ones there are."""
    if fmt not in READERS:
        raise ConfigError(f"source format {fmt!r} is not one of {sorted(READERS)}")
    return READERS[fmt]


def check_source_options(sources: Sequence[Any], *, origin: str, reader: Callable[..., DataFrame] | None = None,
                         set_by_job: frozenset[str] = frozenset({"source"})) -> None:
    """Check every configured source's reader ``options`` at plan time, before Spark starts.

    ``reader``: the one reader all sources go through (a job with its own, like the finetuning reader);
    None takes each format's registered reader. ``set_by_job``: reader parameters the job fills itself.
    """
    from byod.config import to_plain

    for index, spec in enumerate(sources):
        registered = source_format(spec.format).reader
        check_options(reader or registered, to_plain(spec.options) or {}, key=f"sources[{index}].options",
                      origin=origin, set_by_job=set_by_job, passes_extra=_passes_extra(registered))


def _passes_extra(reader: Callable[..., Any]) -> bool:
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(reader).parameters.values())


def check_options(reader: Callable[..., DataFrame], options: Mapping[str, Any], *, key: str, origin: str,
                  set_by_job: frozenset[str] = frozenset({"source"}), passes_extra: bool | None = None) -> None:
    """Known option names (with "did you mean") and simple value types, as one-line ConfigErrors.

    Names come from the reader's keyword-only parameters. A reader that passes extra options on (``csv``
    to Spark, ``hf`` to ``datasets``) takes any other name; ``passes_extra`` says whether this format's
    does (default: whether ``reader`` takes ``**kwargs``). A value is checked when its annotation is a
    plain ``bool``/``int``/``float``/``str`` or a ``Literal``, alone or with None.
    """
    parameters = inspect.signature(reader).parameters
    takes_any = _passes_extra(reader) if passes_extra is None else passes_extra
    names = [n for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY and n not in set_by_job]
    hints = typing.get_type_hints(reader)
    for name, value in options.items():
        if name in set_by_job:
            raise ConfigError(f"{origin}: key '{key}.{name}' is set by the job (from the source's entry), not in options")
        if name not in names:
            if takes_any:
                continue
            from byod.config import did_you_mean

            raise ConfigError(f"{origin}: unknown key '{key}.{name}'{did_you_mean(name, names)}; "
                              f"this source takes {names}")
        problem = _type_problem(value, hints.get(name))
        if problem:
            raise ConfigError(f"{origin}: key '{key}.{name}': {problem}")


def _type_problem(value: Any, hint: Any) -> str | None:
    """Why ``value`` does not fit a simple annotation, or None (also for annotations not checked here)."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None:
        return None if type(None) in options else "must not be null"
    plain = [o for o in options if o is not type(None)]
    for option in plain:
        if typing.get_origin(option) is Literal:
            if value in typing.get_args(option):
                return None
        elif option is bool:
            if isinstance(value, bool):
                return None
        elif option in (int, float):
            if isinstance(value, (int, float)) and not isinstance(value, bool) and (option is float or
                                                                                  isinstance(value, int)):
                return None
        elif option is str:
            if isinstance(value, str):
                return None
        else:
            return None  # a list, a mapping, a callable...: the reader checks it
    allowed = [repr(a) for o in plain for a in (typing.get_args(o) if typing.get_origin(o) is Literal else [])]
    wanted = f"one of {', '.join(allowed)}" if allowed else " or ".join(getattr(o, "__name__", str(o)) for o in plain)
    return f"expected {wanted}{' or null' if type(None) in options else ''}, got {value!r}"


def read_source(spark: SparkSession, spec: Mapping[str, Any]) -> DataFrame:
    """Read one source described as ``{"format": ..., "paths"|"name": ..., <reader options>}``.

    Example: ``{"format": "c4", "paths": "data/c4/*.json.gz", "source": "c4"}`` or
    ``{"format": "hf", "name": "allenai/c4", "config": "en", "split": "validation", "work_dir": "/tmp/hf"}``.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"a source must be a mapping with a 'format' key, got {type(spec).__name__}")
    options = dict(spec)
    fmt = options.pop("format", None)
    known = source_format(fmt)
    reader, first = known.reader, known.target
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
    return read_source(spark, {"format": fmt, source_format(fmt).target: target, "source": name, **options})


def read_sources(spark: SparkSession, sources: Sequence[Any], *, work_dir: str,
                 read_one: ReadOne | None = None) -> DataFrame:
    """One frame from a job's sources (objects with ``name``, ``format``, ``paths``, ``options``).

    A source whose format reads a name (a table, a hub dataset) takes its first path as the name; a
    staged format copies its data under ``work_dir``. ``read_one`` reads one source (default:
    :func:`read_source`'s readers).
    """
    from byod.config import to_plain

    frames = []
    for spec in sources:
        options = dict(to_plain(spec.options) or {})
        known = source_format(spec.format)
        target = list(spec.paths) if known.reads_files else spec.paths[0]
        if known.staged:
            options.setdefault("work_dir", f"{work_dir.rstrip('/')}/hf-{spec.name}")
        frames.append((read_one or read_one_source)(spark, spec.format, target, spec.name, options))
    if not frames:
        raise ConfigError("no sources are configured")
    docs = frames[0]
    for frame in frames[1:]:
        docs = docs.unionByName(frame, allowMissingColumns=True)
    return docs
