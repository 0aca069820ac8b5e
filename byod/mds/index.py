"""The root ``index.json``: merge per-partition shard entries, publish it last, atomically.

``index.json`` is ``{"shards": [entry, ...], "version": 2}`` (sorted keys). byod writes one sub-folder
per Spark partition (``part-00000/``, ...) and one root index whose basenames are relative to the root
(``part-00003/shard.00001.mds.zstd``), the layout streaming's ``merge_index`` produces. The index is
written under a temporary name and renamed, so a reader never sees a half-written file, and only after
every partition succeeded, so a failed run never looks like a complete dataset. :func:`read_index` checks
every entry's keys, types, columns and file names, so a damaged index fails in one line naming the file.
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
from byod.mds.encodings import get_coder, is_supported
from byod.mds.writer import parse_compression

INDEX_BASENAME = "index.json"
_FILE_KEYS = ("raw_data", "zip_data")
_ENTRY_KEYS = ("samples", "raw_data", "column_names", "column_encodings", "column_sizes")


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
    """Load and check ``root/index.json``; raise a one-line MDSFormatError naming it when it is unusable."""
    url = f"{root.rstrip('/')}/{INDEX_BASENAME}"
    try:
        with fsspec.open(url, "rb") as src:
            text = src.read()
    except FileNotFoundError as exc:
        raise MDSFormatError(f"{url} does not exist: not an MDS dataset, or its writer did not finish") from exc
    except OSError as exc:  # a folder named index.json, no permission, a broken link
        raise MDSFormatError(f"{url} cannot be read: {exc.strerror or exc}") from exc
    try:
        index = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MDSFormatError(f"{url} is not valid JSON: {first_line(exc)}") from exc
    check_index(index, url)
    return index


def check_index(index: Any, url: str) -> None:
    """Raise MDSFormatError naming ``url`` and the shard when ``index`` is not a usable MDS index."""
    if not isinstance(index, dict) or index.get("version") != 2 or not isinstance(index.get("shards"), list):
        raise MDSFormatError(f"{url} is not an MDS index version 2 ({{'version': 2, 'shards': [...]}})")
    for number, entry in enumerate(index["shards"]):
        problem = entry_problem(entry)
        if problem is not None:
            raise MDSFormatError(f"{url}: shard entry {number} {problem}")


def entry_problem(entry: Any) -> str | None:
    """What is wrong with one shard entry of an index (keys, types, columns, file names), or None."""
    if not isinstance(entry, dict):
        return f"is a {type(entry).__name__}, not an object"
    missing = [k for k in _ENTRY_KEYS if k not in entry]
    if missing:
        return f"lacks {missing}"
    if entry.get("format", "mds") != "mds":
        return f"has format {entry['format']!r}; byod reads only 'mds'"
    samples = entry["samples"]
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 0:
        return f"has samples={samples!r}, not a count"
    problem = _columns_problem(entry["column_names"], entry["column_encodings"], entry["column_sizes"])
    if problem is None:
        problem = _compression_problem(entry.get("compression"), entry.get("zip_data"))
    for key in _FILE_KEYS:
        if problem is None and (key == "raw_data" or entry.get(key) is not None):
            problem = _file_problem(key, entry[key])
    return problem


def _columns_problem(names: Any, encodings: Any, sizes: Any) -> str | None:
    if not (isinstance(names, list) and isinstance(encodings, list) and isinstance(sizes, list)):
        return "has column_names, column_encodings or column_sizes that is not a list"
    if not names or not len(names) == len(encodings) == len(sizes):
        return f"has {len(names)} column names, {len(encodings)} encodings and {len(sizes)} sizes"
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return f"has column names that are not distinct strings: {names}"
    for name, encoding, size in zip(names, encodings, sizes):
        if not is_supported(encoding):
            return f"column {name!r} has encoding {encoding!r}, which byod cannot read"
        if get_coder(encoding).size != size:
            return f"column {name!r} ({encoding}) has size {size!r}, the encoding's is {get_coder(encoding).size}"
    return None


def _compression_problem(compression: Any, zip_data: Any) -> str | None:
    if compression is not None:
        if not isinstance(compression, str):
            return f"has compression {compression!r}, not a name"
        try:
            parse_compression(compression)
        except ValueError as exc:
            return str(exc)
    if (compression is None) != (zip_data is None):
        return f"has compression {compression!r} but zip_data {'missing' if zip_data is None else 'present'}"
    return None


def _file_problem(key: str, info: Any) -> str | None:
    if not isinstance(info, dict) or not isinstance(info.get("basename"), str):
        return f"{key} lacks a basename"
    name = info["basename"]
    parts = name.replace("\\", "/").split("/")
    if not name or name.startswith("/") or "://" in name or ".." in parts or "" in parts:
        return f"{key} basename {name!r} is not a relative path inside the dataset"
    size = info.get("bytes")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return f"{key} of {name} has bytes={size!r}, not a size"
    hashes = info.get("hashes") or {}
    if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
        return f"{key} of {name} has hashes that are not {{algorithm: hex digest}}"
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (or its type name): errors stay one line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
