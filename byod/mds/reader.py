"""Read an MDS dataset back without streaming: for checks (ValidateMDS) and tests, not for training.

Every problem raises :class:`byod.errors.MDSFormatError` naming the shard file and what differs.
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
from byod.mds.index import read_index
from byod.mds.writer import decompress, hash_hex


@dataclass(frozen=True)
class Shard:
    """One decoded shard file: its index entry, column names, coders and sample byte ranges."""

    entry: dict[str, Any]
    names: list[str]
    coders: list[Coder]
    data: bytes
    offsets: np.ndarray

    @property
    def samples(self) -> int:
        return len(self.offsets) - 1

    def sample(self, i: int) -> dict[str, Any]:
        """Decode sample ``i`` into ``{column: value}``."""
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        variable = [c for c in self.coders if c.size is None]
        sizes = np.frombuffer(self.data, np.uint32, count=len(variable), offset=start)
        pos = start + 4 * len(variable)
        out: dict[str, Any] = {}
        sizes_iter = iter(sizes)
        for name, coder in zip(self.names, self.coders):
            size = coder.size if coder.size is not None else int(next(sizes_iter))
            out[name] = coder.decode(self.data[pos:pos + size])
            pos += size
        if pos != end:
            raise MDSFormatError(f"{self.entry['raw_data']['basename']}: sample {i} spans {end - start} bytes, "
                                 f"its columns {pos - start}")
        return out


def _checked(root: str, info: dict[str, Any], check_hashes: bool) -> bytes:
    url = f"{root.rstrip('/')}/{info['basename']}"
    try:
        with fsspec.open(url, "rb") as src:
            data = src.read()
    except FileNotFoundError as exc:
        raise MDSFormatError(f"shard {url} is listed in index.json but missing") from exc
    if len(data) != info["bytes"]:
        raise MDSFormatError(f"shard {url} has {len(data)} bytes, index.json says {info['bytes']}")
    if check_hashes:
        for algo, expected in (info.get("hashes") or {}).items():
            if hash_hex(algo, data) != expected:
                raise MDSFormatError(f"shard {url}: {algo} hash differs from index.json (corrupt or replaced)")
    return data


def open_shard(root: str, entry: dict[str, Any], *, check_hashes: bool = True) -> Shard:
    """Read, decompress, hash-check and parse one shard listed in the root index."""
    raw_info, zip_info = entry.get("raw_data"), entry.get("zip_data")
    if not raw_info:
        raise MDSFormatError(f"an index entry lacks raw_data: {json.dumps(entry)[:200]}")
    if zip_info:
        stored = _checked(root, zip_info, check_hashes)
        data = decompress(entry["compression"], stored)
        if len(data) != raw_info["bytes"]:
            raise MDSFormatError(f"{zip_info['basename']} decompresses to {len(data)} bytes, index says "
                                 f"{raw_info['bytes']}")
        if check_hashes:
            for algo, expected in (raw_info.get("hashes") or {}).items():
                if hash_hex(algo, data) != expected:
                    raise MDSFormatError(f"{raw_info['basename']}: {algo} hash of the raw data differs")
    else:
        data = _checked(root, raw_info, check_hashes)
    name = raw_info["basename"]
    count = int(np.frombuffer(data, np.uint32, count=1)[0])
    if count != entry["samples"]:
        raise MDSFormatError(f"{name} holds {count} samples, index.json says {entry['samples']}")
    offsets = np.frombuffer(data, np.uint32, count=count + 1, offset=4).astype(np.int64)
    header_end = 4 + 4 * (count + 1)
    try:
        config = json.loads(data[header_end:int(offsets[0])].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MDSFormatError(f"{name}: the shard header is not JSON ({exc})") from exc
    for key in ("column_names", "column_encodings", "column_sizes"):
        if config.get(key) != entry.get(key):
            raise MDSFormatError(f"{name}: {key} in the shard ({config.get(key)}) differs from index.json")
    if int(offsets[-1]) != len(data):
        raise MDSFormatError(f"{name}: the last offset {int(offsets[-1])} is not the file size {len(data)}")
    coders = [get_coder(e) for e in config["column_encodings"]]
    return Shard(entry, list(config["column_names"]), coders, data, offsets)


def iter_shards(root: str, *, check_hashes: bool = True) -> Iterator[Shard]:
    """Every shard of the dataset at ``root``, in index order."""
    for entry in read_index(root)["shards"]:
        yield open_shard(root, entry, check_hashes=check_hashes)


def iter_samples(root: str) -> Iterator[dict[str, Any]]:
    """Every sample of the dataset at ``root``, in index order (what StreamingDataset reads unshuffled)."""
    for shard in iter_shards(root):
        for i in range(shard.samples):
            yield shard.sample(i)
