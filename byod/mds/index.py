"""The root ``index.json``: merge per-partition shard entries, publish it last, atomically.

``index.json`` is ``{"shards": [entry, ...], "version": 2}`` (sorted keys). byod writes one sub-folder
per Spark partition (``part-00000/``, ...) and one root index whose basenames are relative to the root
(``part-00003/shard.00001.mds.zstd``), the layout streaming's ``merge_index`` produces. The index is
written under a temporary name and renamed, so a reader never sees a half-written file, and only after
every partition succeeded, so a failed run never looks like a complete dataset.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from typing import Any

import fsspec
from fsspec.core import url_to_fs

from byod.errors import MDSFormatError

INDEX_BASENAME = "index.json"
_FILE_KEYS = ("raw_data", "zip_data")


def part_name(partition: int) -> str:
    """The deterministic folder of one partition (``part-00007``): a retried task reuses it."""
    return f"part-{partition:05d}"


def merge_index(parts: Iterable[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """One index from ``(folder, shard entries)`` pairs, in the given order, basenames prefixed."""
    shards: list[dict[str, Any]] = []
    for folder, entries in parts:
        for entry in entries:
            merged = dict(entry)
            for key in _FILE_KEYS:
                if merged.get(key):
                    merged[key] = dict(merged[key], basename=f"{folder}/{merged[key]['basename']}")
            shards.append(merged)
    return {"shards": shards, "version": 2}


def index_bytes(index: dict[str, Any]) -> bytes:
    """The index serialised as streaming does it (sorted keys, UTF-8)."""
    return json.dumps(index, sort_keys=True).encode("utf-8")


def is_local(url: str) -> bool:
    """True for a plain path or ``file://`` URL (workers can write it directly)."""
    return "://" not in url or url.startswith("file://")


def local_path(url: str) -> str:
    """A local path from a plain path or ``file://`` URL."""
    return url[len("file://"):] if url.startswith("file://") else url


def publish_index(root: str, index: dict[str, Any]) -> str:
    """Write ``root/index.json`` via a temporary name and a rename; return its URL."""
    fs, path = url_to_fs(root)
    fs.makedirs(path, exist_ok=True)
    final = f"{path.rstrip('/')}/{INDEX_BASENAME}"
    temp = f"{path.rstrip('/')}/.{INDEX_BASENAME}.{uuid.uuid4().hex}.tmp"
    with fs.open(temp, "wb") as out:
        out.write(index_bytes(index))
    if is_local(root):
        os.replace(temp, final)
    else:
        fs.mv(temp, final)
    return f"{root.rstrip('/')}/{INDEX_BASENAME}"


def read_index(root: str) -> dict[str, Any]:
    """Load and check ``root/index.json``; raise MDSFormatError when it is missing or malformed."""
    url = f"{root.rstrip('/')}/{INDEX_BASENAME}"
    try:
        with fsspec.open(url, "rb") as src:
            index = json.loads(src.read().decode("utf-8"))
    except FileNotFoundError as exc:
        raise MDSFormatError(f"{url} does not exist: not an MDS dataset, or its writer did not finish") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MDSFormatError(f"{url} is not valid JSON: {exc}") from exc
    if not isinstance(index, dict) or index.get("version") != 2 or not isinstance(index.get("shards"), list):
        raise MDSFormatError(f"{url} is not an MDS index version 2 ({{'version': 2, 'shards': [...]}})")
    return index


def list_entries(root: str) -> list[str]:
    """Names directly inside ``root`` (empty when it does not exist)."""
    fs, path = url_to_fs(root)
    if not fs.exists(path):
        return []
    return sorted(os.path.basename(p.rstrip("/")) for p in fs.ls(path, detail=False))


def remove_tree(url: str) -> None:
    """Delete a folder (local or fsspec) if it exists."""
    fs, path = url_to_fs(url)
    if fs.exists(path):
        fs.rm(path, recursive=True)


def clear_output(root: str) -> None:
    """Empty ``root`` for an overwrite: the old index goes first, so no state looks complete."""
    fs, path = url_to_fs(root)
    index = f"{path.rstrip('/')}/{INDEX_BASENAME}"
    if fs.exists(index):
        fs.rm(index)
    for name in list_entries(root):
        fs.rm(f"{path.rstrip('/')}/{name}", recursive=True)
