"""Read an MDS dataset back without streaming: for checks (ValidateMDS) and tests, not for training.

Nothing on disk is trusted: every length, offset and hash is checked before it is used, and every
problem raises a one-line :class:`byod.errors.MDSFormatError` naming the shard file and what differs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
import numpy as np

from byod.errors import MDSFormatError
from byod.mds.encodings import Coder, get_coder
from byod.mds.index import entry_problem, first_line, read_index
from byod.mds.writer import decompress, hash_hex

_HEADER_KEYS = ("column_names", "column_encodings", "column_sizes")


@dataclass(frozen=True)
class Shard:
    """One decoded shard file: its index entry, column names, coders, sample byte ranges, hashes verified.

    ``label`` is the URL of the stored file (the compressed one when there is one), used in every error;
    ``verified`` lists the hash algorithms checked against index.json for this shard's files.
    """

    entry: dict[str, Any]
    names: list[str]
    coders: list[Coder]
    data: bytes
    offsets: np.ndarray
    label: str = ""
    verified: tuple[str, ...] = ()

    @property
    def samples(self) -> int:
        return len(self.offsets) - 1

    def sample(self, i: int) -> dict[str, Any]:
        """Decode sample ``i`` into ``{column: value}``; its bytes must hold its columns exactly."""
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        variable = sum(c.size is None for c in self.coders)
        pos = start + 4 * variable
        if pos > end:
            raise MDSFormatError(f"shard {self.label}: sample {i} has {end - start} bytes, fewer than its column sizes")
        sizes = iter(np.frombuffer(self.data, np.uint32, count=variable, offset=start).tolist())
        out: dict[str, Any] = {}
        for name, coder in zip(self.names, self.coders):
            size = coder.size if coder.size is not None else next(sizes)
            if pos + size > end:
                raise MDSFormatError(f"shard {self.label}: sample {i} column {name!r} needs {size} bytes, "
                                     f"the sample has {end - pos} left")
            try:
                out[name] = coder.decode(self.data[pos:pos + size])
            except (ValueError, TypeError, KeyError, IndexError) as exc:  # UnicodeDecodeError, JSON, numpy
                raise MDSFormatError(f"shard {self.label}: sample {i} column {name!r} ({coder.name}) does not decode: "
                                     f"{first_line(exc)}") from exc
            pos += size
        if pos != end:
            raise MDSFormatError(f"shard {self.label}: sample {i} spans {end - start} bytes, its columns {pos - start}")
        return out


def _read(root: str, info: dict[str, Any]) -> tuple[str, bytes]:
    """(URL, bytes) of one file listed in the index, its size checked against the index."""
    url = f"{root.rstrip('/')}/{info['basename']}"
    try:
        with fsspec.open(url, "rb") as src:
            data = src.read()
    except FileNotFoundError as exc:
        raise MDSFormatError(f"shard {url} is listed in index.json but missing") from exc
    except OSError as exc:
        raise MDSFormatError(f"shard {url} cannot be read: {exc.strerror or first_line(exc)}") from exc
    if len(data) != info["bytes"]:
        raise MDSFormatError(f"shard {url} has {len(data)} bytes, index.json says {info['bytes']} (truncated or "
                             f"replaced)")
    return url, data


def _verify(label: str, info: dict[str, Any], data: bytes, what: str = "") -> list[str]:
    """Check ``data`` against every hash the index stores for it; return the algorithms checked."""
    checked = []
    for algo, expected in sorted((info.get("hashes") or {}).items()):
        try:
            actual = hash_hex(algo, data)
        except ValueError as exc:
            raise MDSFormatError(f"shard {label}: index.json stores an unknown hash: {exc}") from exc
        if actual != expected:
            raise MDSFormatError(f"shard {label}: {algo} hash mismatch{what} (index.json {expected}, file "
                                 f"{actual}): the shard is corrupt or was replaced")
        checked.append(algo)
    return checked


def open_shard(root: str, entry: dict[str, Any], *, check_hashes: bool = True) -> Shard:
    """Read, hash-check, decompress and parse one shard listed in the root index."""
    problem = entry_problem(entry)
    if problem is not None:
        raise MDSFormatError(f"{root.rstrip('/')}/index.json: a shard entry {problem}")
    raw_info, zip_info = entry["raw_data"], entry.get("zip_data")
    label, data = _read(root, zip_info or raw_info)
    verified = _verify(label, zip_info or raw_info, data) if check_hashes else []
    if zip_info:
        try:
            data = decompress(entry["compression"], data)
        except Exception as exc:  # zstd.Error, OSError, EOFError, ValueError...: each means a damaged file
            raise MDSFormatError(f"shard {label} does not decompress as {entry['compression']}: "
                                 f"{first_line(exc)}") from exc
        if len(data) != raw_info["bytes"]:
            raise MDSFormatError(f"shard {label} decompresses to {len(data)} bytes, index.json says "
                                 f"{raw_info['bytes']}")
        if check_hashes:
            verified += _verify(label, raw_info, data, " of the decompressed data")
    return _parse(label, entry, data, tuple(sorted(set(verified))))


def _parse(label: str, entry: dict[str, Any], data: bytes, verified: tuple[str, ...]) -> Shard:
    """Check the shard header (count, offsets, config) against the file and the index entry."""
    if len(data) < 8:
        raise MDSFormatError(f"shard {label}: {len(data)} bytes cannot hold an MDS header (truncated)")
    count = int(np.frombuffer(data, np.uint32, count=1)[0])
    if count != entry["samples"]:
        raise MDSFormatError(f"shard {label} holds {count} samples, index.json says {entry['samples']}")
    header_end = 4 + 4 * (count + 1)
    if header_end > len(data):
        raise MDSFormatError(f"shard {label}: {count + 1} offsets need {header_end} bytes, the file has {len(data)}")
    offsets = np.frombuffer(data, np.uint32, count=count + 1, offset=4).astype(np.int64)
    if int(offsets[0]) < header_end or bool(np.any(np.diff(offsets) < 0)):
        raise MDSFormatError(f"shard {label}: sample offsets are not increasing from the header's end")
    if int(offsets[-1]) != len(data):
        raise MDSFormatError(f"shard {label}: the last offset {int(offsets[-1])} is not the file size {len(data)}")
    config = _config(label, data[header_end:int(offsets[0])])
    for key in _HEADER_KEYS:
        if config.get(key) != entry.get(key):
            raise MDSFormatError(f"shard {label}: {key} in the shard ({config.get(key)}) differs from index.json "
                                 f"({entry.get(key)})")
    coders = [get_coder(e) for e in config["column_encodings"]]
    return Shard(entry, list(config["column_names"]), coders, data, offsets, label, verified)


def _config(label: str, data: bytes) -> dict[str, Any]:
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MDSFormatError(f"shard {label}: the shard header is not JSON ({first_line(exc)})") from exc
    if not isinstance(config, dict):
        raise MDSFormatError(f"shard {label}: the shard header is a {type(config).__name__}, not an object")
    return config


def iter_shards(root: str, *, check_hashes: bool = True) -> Iterator[Shard]:
    """Every shard of the dataset at ``root``, in index order."""
    for entry in read_index(root)["shards"]:
        yield open_shard(root, entry, check_hashes=check_hashes)


def iter_samples(root: str) -> Iterator[dict[str, Any]]:
    """Every sample of the dataset at ``root``, in index order (what StreamingDataset reads unshuffled)."""
    for shard in iter_shards(root):
        for i in range(shard.samples):
            yield shard.sample(i)
