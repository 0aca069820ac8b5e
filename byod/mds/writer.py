"""Write MDS shards into one local folder: the bytes streaming's ``MDSWriter`` writes, without importing it.

A shard file (before compression)::

    [num_samples: uint32]
    [offsets: (num_samples + 1) x uint32]   byte offset of each sample from the file start, then the end
    [config: JSON, sorted keys]             version, format, compression, hashes, size_limit, columns
    [sample 0] [sample 1] ...

A sample: ``[sizes of the variable-size columns: uint32 each] [column 0 bytes] [column 1 bytes] ...`` with
columns sorted by name. A shard is closed before a sample would push it past ``size_limit`` bytes
(counting 4 offset bytes per sample and the header). Each shard's index entry carries ``raw_data`` and,
when compressed, ``zip_data`` (basename, bytes, hashes: :data:`DEFAULT_HASHES` unless told otherwise).
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from byod.mds.encodings import get_coder

#: streaming's default shard size limit: 64 MiB.
DEFAULT_SIZE_LIMIT = 1 << 26
#: Hashes stored per shard file unless told otherwise. xxh64 hashes ~5.3 GB/s here against sha1's ~1.3 GB/s
#: (64 MiB buffer, 2-core Xeon), so it costs ~12 ms per full shard; it catches accidental damage (bit
#: flips, truncation, a replaced file), which is what validation is for; a cryptographic hash adds nothing
#: against someone who can also rewrite index.json. streaming accepts it (``StreamingDataset(validate_hash=
#: 'xxh64')`` checks shards on download).
DEFAULT_HASHES: tuple[str, ...] = ("xxh64",)
_COMPRESSIONS = {"zstd": (range(1, 23), 3), "gz": (range(0, 10), 9), "bz2": (range(1, 10), 9)}


def parse_compression(compression: str | None) -> tuple[str, int] | None:
    """``'zstd'`` or ``'zstd:LEVEL'`` (also gz, bz2) -> (family, level); None means uncompressed."""
    if compression is None:
        return None
    family, _, level_text = compression.partition(":")
    if family not in _COMPRESSIONS:
        raise ValueError(f"compression {compression!r} is not supported; use None, "
                         f"{', '.join(_COMPRESSIONS)} or '<name>:<level>' (e.g. 'zstd:7')")
    levels, default = _COMPRESSIONS[family]
    if not level_text:
        return family, default
    if not level_text.isdigit() or int(level_text) not in levels:
        raise ValueError(f"compression level {level_text!r} for {family} must be in {levels.start}..{levels.stop - 1}")
    return family, int(level_text)


def compress(compression: str, data: bytes) -> bytes:
    """Compress ``data`` as streaming would (zstd through the ``zstd`` module when present)."""
    parsed = parse_compression(compression)
    if parsed is None:
        return data
    family, level = parsed
    if family == "gz":
        return gzip.compress(data, level, mtime=0)
    if family == "bz2":
        return bz2.compress(data, level)
    try:
        import zstd  # the module streaming uses: identical frames
        return zstd.compress(data, level)
    except ImportError:
        import zstandard
        return zstandard.ZstdCompressor(level=level).compress(data)


def decompress(compression: str, data: bytes) -> bytes:
    """Inverse of :func:`compress`."""
    parsed = parse_compression(compression)
    if parsed is None:
        return data
    family = parsed[0]
    if family == "gz":
        return gzip.decompress(data)
    if family == "bz2":
        return bz2.decompress(data)
    try:
        import zstd
        return zstd.decompress(data)
    except ImportError:
        import zstandard
        return zstandard.ZstdDecompressor().decompress(data)


def hash_hex(algo: str, data: bytes) -> str:
    """Hex digest of ``data`` with a hashlib or xxhash algorithm (the names streaming accepts)."""
    if algo.startswith("xxh"):
        import xxhash
        if algo not in xxhash.algorithms_available:
            raise ValueError(f"hash {algo!r} is unknown; xxhash has {sorted(xxhash.algorithms_available)}")
        return getattr(xxhash, algo)(data).hexdigest()
    if algo.startswith("shake_") or not hasattr(hashlib, algo):
        raise ValueError(f"hash {algo!r} is unknown; use e.g. 'sha1', 'sha256', 'md5', 'xxh64', 'xxh3_64'")
    return getattr(hashlib, algo)(data).hexdigest()


def check_hashes(hashes: Sequence[str]) -> list[str]:
    """Validate hash names; streaming requires them unique and sorted."""
    names = list(hashes)
    if names != sorted(set(names)):
        raise ValueError(f"hashes must be unique and sorted (streaming requires it), got {names}")
    for algo in names:
        hash_hex(algo, b"")
    return names


def shard_basename(index: int, compression: str | None) -> tuple[str, str | None]:
    """(raw basename, compressed basename or None) of shard number ``index``."""
    raw = f"shard.{index:05d}.mds"
    parsed = parse_compression(compression)
    return raw, (f"{raw}.{parsed[0]}" if parsed else None)


@dataclass
class PartitionResult:
    """What one partition wrote: its shard entries (basenames relative to its folder) and totals."""

    shards: list[dict[str, Any]] = field(default_factory=list)
    samples: int = 0
    bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"shards": self.shards, "samples": self.samples, "bytes": self.bytes}


class ShardWriter:
    """Encode samples and write ``shard.NNNNN.mds[.zstd]`` files into ``out_dir`` (a local folder)."""

    def __init__(self, *, out_dir: str, columns: Mapping[str, str], compression: str | None = None,
                 hashes: Sequence[str] = DEFAULT_HASHES, size_limit: int | None = DEFAULT_SIZE_LIMIT) -> None:
        if not columns:
            raise ValueError("columns must name at least one column, e.g. {'tokens': 'ndarray:int32'}")
        if size_limit is not None and size_limit < 1:
            raise ValueError(f"size_limit must be >= 1 byte or None (one shard), got {size_limit}")
        parse_compression(compression)
        self.out_dir = out_dir
        self.names = sorted(columns)
        self.coders = [get_coder(columns[n]) for n in self.names]
        self.compression = compression
        self.hashes = check_hashes(hashes)
        self.size_limit = size_limit
        config = {
            "version": 2, "format": "mds", "compression": compression, "hashes": self.hashes,
            "size_limit": size_limit, "column_names": self.names,
            "column_encodings": [columns[n] for n in self.names], "column_sizes": [c.size for c in self.coders],
        }
        self.config = config
        self.config_data = json.dumps(config, sort_keys=True).encode("utf-8")
        self.result = PartitionResult()
        self._samples: list[bytes] = []
        self._size = 8 + len(self.config_data)

    def encode(self, sample: Mapping[str, Any]) -> bytes:
        """One sample's bytes; a missing column or a bad value raises with the column's name."""
        sizes: list[int] = []
        parts: list[bytes] = []
        for name, coder in zip(self.names, self.coders):
            if name not in sample or sample[name] is None:
                raise ValueError(f"MDS column {name!r} is missing or null in a sample")
            try:
                datum = coder.encode(sample[name])
            except (TypeError, ValueError, UnicodeEncodeError) as exc:
                raise ValueError(f"MDS column {name!r} ({coder.name}): {exc}") from exc
            if coder.size is None:
                sizes.append(len(datum))
            elif coder.size != len(datum):
                raise ValueError(f"MDS column {name!r} ({coder.name}) needs {coder.size} bytes, got {len(datum)}")
            parts.append(datum)
        return np.asarray(sizes, np.uint32).tobytes() + b"".join(parts)

    def write(self, sample: Mapping[str, Any]) -> None:
        """Add one sample, closing the current shard first if the sample would overflow it."""
        self.write_encoded(self.encode(sample))

    def write_encoded(self, data: bytes) -> None:
        """Add one already-encoded sample (see :meth:`encode`)."""
        grown = len(data) + 4
        if self.size_limit is not None and self._samples and self.size_limit < self._size + grown:
            self._flush()
        self._samples.append(data)
        self._size += grown

    def _flush(self) -> None:
        count = len(self._samples)
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum([len(s) for s in self._samples], out=offsets[1:])
        offsets += 4 + 4 * (count + 1) + len(self.config_data)
        if offsets[-1] >= 1 << 32:
            raise ValueError(f"a shard of {offsets[-1]} bytes exceeds uint32 offsets; lower size_limit")
        raw = b"".join([np.uint32(count).tobytes(), offsets.astype(np.uint32).tobytes(), self.config_data,
                        *self._samples])
        raw_name, zip_name = shard_basename(len(self.result.shards), self.compression)
        entry: dict[str, Any] = {"samples": count, "raw_data": self._file_info(raw_name, raw), "zip_data": None}
        data, name = raw, raw_name
        if zip_name is not None and self.compression is not None:
            data, name = compress(self.compression, raw), zip_name
            entry["zip_data"] = self._file_info(zip_name, data)
        with open(os.path.join(self.out_dir, name), "wb") as out:
            out.write(data)
        entry.update(self.config)
        self.result.shards.append(entry)
        self.result.samples += count
        self.result.bytes += len(data)
        self._samples = []
        self._size = 8 + len(self.config_data)

    def _file_info(self, basename: str, data: bytes) -> dict[str, Any]:
        return {"basename": basename, "bytes": len(data), "hashes": {a: hash_hex(a, data) for a in self.hashes}}

    def finish(self) -> PartitionResult:
        """Write the last shard; return the shard entries (no index file: the driver merges them)."""
        if self._samples:
            self._flush()
        return self.result


def write_mds_partition(rows: Iterable[Mapping[str, Any]], out_dir: str, columns: Mapping[str, str], *,
                        compression: str | None = None, size_limit: int | None = DEFAULT_SIZE_LIMIT,
                        hashes: Sequence[str] = DEFAULT_HASHES) -> PartitionResult:
    """Write ``rows`` (dicts with every column) as shards in the local folder ``out_dir``.

    The generic entry point for any column layout (pretraining tokens, finetuning prompt/response or
    messages); it writes no index.json: merge the returned entries with :mod:`byod.mds.index`.
    """
    os.makedirs(out_dir, exist_ok=True)
    writer = ShardWriter(out_dir=out_dir, columns=columns, compression=compression, hashes=hashes,
                         size_limit=size_limit)
    for row in rows:
        writer.write(row)
    return writer.finish()
