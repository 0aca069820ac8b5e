"""Checks a file's decompressed stream before Spark scans it, so one hostile file cannot end a job.

Spark's text scan dies on the first file it cannot decompress (a truncated ``.gz``, text named
``.gz``) and holds a whole line in memory, so one 1 GiB line (a gzip bomb of a few hundred KB)
exhausts the JVM heap. Before the scan, each compressed file, and each plain file bigger than the
record limit, is streamed once in fixed-size chunks inside a Spark task (:func:`probe_batches`),
never held whole: a file that does not decompress to its end is reported as unreadable, a line
(or, for whole-file records, a file) over ``max_record_bytes`` as too long. Plain files no bigger
than the limit cannot hold a too-long line and are not read twice. Pure functions here; the Spark
plumbing is :mod:`byod.sources.scan`.
"""

from __future__ import annotations

import bz2
import gzip
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pyarrow as pa
import zstandard

#: A file that cannot be decompressed: one rejected record for the whole file, raw = the error.
FILE_UNREADABLE = "file.unreadable"
#: Bytes a single record (a line, or a whole file read as one document) may hold. Far above any
#: real document (C4's longest is under 1 MB, a long arXiv paper a few MB, our tests keep a 20 MiB
#: one) and far below executor memory: a record is held as JVM bytes, Arrow bytes, Python bytes and
#: a decoded string (up to 4x for non-Latin text) at once, so 64 MiB costs a few hundred MB at peak,
#: which a 1 GiB default executor survives with two tasks.
DEFAULT_MAX_RECORD_BYTES = 64 << 20
#: Decompressed bytes read at a time; lines are never joined, so memory stays at a few chunks.
CHUNK_BYTES = 1 << 20
#: Bytes of a too-long record kept to show in the quarantine.
HEAD_BYTES = 8000
#: Problems a probe reports (None: the file is fine for Spark's scan).
UNREADABLE, LONG_LINE, TOO_LONG = "unreadable", "long_line", "too_long"
#: Suffixes Hadoop decompresses by name (case-sensitive, as its codec factory matches them).
COMPRESSED = (".gz", ".bz2", ".zst", ".deflate")

PROBE_SCHEMA = "path string, problem string, message string"
_LINE_END = re.compile(rb"[\r\n]")


@dataclass(frozen=True)
class Problem:
    """Why a file cannot go to Spark's scan as it is, with a one-line message or the record's head."""

    path: str
    problem: str
    message: str


def is_compressed(path: str) -> bool:
    """True when Spark would decompress the file by its suffix (and the probe can check it)."""
    return path.endswith(COMPRESSED)


def _deflate_chunks(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """Hadoop's ``.deflate`` (a zlib stream), output bounded per step so a bomb stays small."""
    inflater = zlib.decompressobj()
    while not inflater.eof:
        data = inflater.unconsumed_tail or handle.read(size)
        if not data:
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        if out := inflater.decompress(data, size):
            yield out


def _zstd_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """Zstandard frames one after another; a frame cut short is an error (zstandard's reader says nothing).

    Compressed bytes go in 4 KiB at a time, so one step yields at most ~128 MiB (zstd's best ratio).
    """
    context = zstandard.ZstdDecompressor()
    frame, fed, data = context.decompressobj(), False, b""
    while data := data or handle.read(4096):
        out, fed = frame.decompress(data), True
        data = b""
        if out:
            yield out
        if frame.eof:
            data, frame, fed = frame.unused_data, context.decompressobj(), False
    if fed:
        raise EOFError("zstd frame ended before its end (a truncated file)")


def chunks(path: str, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The decompressed bytes of a local file, ``size`` at a time, decoded by suffix as Hadoop does."""
    with open(path, "rb") as raw:
        if path.endswith(".deflate"):
            yield from _deflate_chunks(raw, size)
            return
        if path.endswith(".zst"):
            yield from _zstd_chunks(raw)
            return
        if path.endswith(".gz"):
            stream: BinaryIO = gzip.GzipFile(fileobj=raw)
        elif path.endswith(".bz2"):
            stream = bz2.BZ2File(raw)
        else:
            stream = raw
        with stream:
            while data := stream.read(size):
                yield data


def first_line(error: BaseException) -> str:
    """``Type: first line of the message``, what a rejected file's ``raw`` shows."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _longest_segment(chunk: bytes) -> int:
    """The longest run of bytes between line ends (\\n or \\r) inside a chunk."""
    return max(map(len, _LINE_END.split(chunk)))


def _has_long_line(pieces: Iterator[bytes], limit: int) -> bool:
    """True when some line (split at \\n, \\r) is longer than ``limit``; reads ``pieces`` to the end."""
    run, found = 0, False  # bytes of the line still open at the end of the last chunk
    for chunk in pieces:
        if found:
            continue  # keep decompressing: a truncated file is unreadable, whatever its lines
        first = min((i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0), default=-1)
        if first < 0:
            run += len(chunk)
            found = run > limit
            continue
        last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        # lines inside one chunk are shorter than the chunk: look at them only when that can matter
        inner = _longest_segment(chunk[first + 1 : last]) if last - first - 1 > limit else 0
        found = run + first > limit or inner > limit
        run = len(chunk) - last - 1
        found = found or run > limit
    return found


def probe_file(path: str, *, max_record_bytes: int | None, whole_file: bool) -> Problem | None:
    """Stream one local file once: unreadable, a line (or the whole file) too long, or None when fine."""
    try:
        if whole_file:
            size, head = 0, b""
            for chunk in chunks(path):
                head = head or chunk[:HEAD_BYTES]
                size += len(chunk)
                if max_record_bytes is not None and size > max_record_bytes:
                    return Problem(path, TOO_LONG, head.decode("utf-8", errors="replace"))
            return None
        limit = max_record_bytes if max_record_bytes is not None else float("inf")
        if _has_long_line(chunks(path), limit):  # type: ignore[arg-type]
            return Problem(path, LONG_LINE, "")
    except (OSError, EOFError, ValueError, zlib.error, zstandard.ZstdError) as error:
        return Problem(path, UNREADABLE, first_line(error))
    return None


def needs_probe(path: str, *, max_record_bytes: int | None) -> bool:
    """Compressed files always (only decompressing shows they are whole); plain ones only when too big."""
    if is_compressed(path):
        return True
    return max_record_bytes is not None and os.path.getsize(path) > max_record_bytes


def probe_batches(*, max_record_bytes: int | None, whole_file: bool) -> Callable:
    """A ``mapInArrow`` function over ``path`` rows yielding a row per file with a problem."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            found = [probe_file(p, max_record_bytes=max_record_bytes, whole_file=whole_file)
                     for p in batch.column(0).to_pylist()]
            rows = [p for p in found if p is not None]
            yield pa.RecordBatch.from_arrays(
                [pa.array([getattr(p, name) for p in rows], type=pa.string()) for name in ("path", "problem", "message")],
                names=["path", "problem", "message"],
            )

    return run


def lines(path: str, limit: int) -> Iterator[tuple[bytes | None, str | None]]:
    """Each line of a file as Hadoop cuts them (at \\n, \\r\\n or \\r), without its end: ``(line, None)``,
    or ``(None, head)`` for a line over ``limit`` bytes, of which only the head is ever held."""
    head, size = bytearray(), 0
    pending_cr = False  # the last chunk ended in \r: a \n opening the next one ends no other line
    for chunk in chunks(path):
        if pending_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
        pending_cr = chunk.endswith(b"\r")
        pieces = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        for index, piece in enumerate(pieces):
            size += len(piece)
            room = len(piece) if size <= limit else HEAD_BYTES - len(head)
            head += piece[: max(room, 0)]
            if index < len(pieces) - 1:  # a line end follows this piece
                yield _line(head, size, limit)
                head, size = bytearray(), 0
    if size:  # a last line with no line end
        yield _line(head, size, limit)


def _line(head: bytearray, size: int, limit: int) -> tuple[bytes | None, str | None]:
    if size > limit:
        return None, bytes(head[:HEAD_BYTES]).decode("utf-8", errors="replace")
    return bytes(head), None
