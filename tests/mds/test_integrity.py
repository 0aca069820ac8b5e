"""MDS integrity: hashes on by default, damage in a real shard or index.json fails in one line naming the file,
and the validate report says only what it checked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from byod.cli import main as cli_main
from byod.errors import MDSFormatError
from byod.mds.index import merge_index, publish_index, read_index
from byod.mds.reader import iter_samples
from byod.mds.validate import validate_mds
from byod.mds.writer import DEFAULT_HASHES, ShardWriter, write_mds_partition

COLUMNS = {"tokens": "ndarray:int32", "text": "str"}


def _samples(count: int = 30) -> list[dict]:
    # Token values are unique across the dataset, so one can be found in a shard's bytes and changed.
    return [{"tokens": np.arange(1000 + 40 * i, 1032 + 40 * i, dtype=np.int32), "text": f"doc {i}"}
            for i in range(count)]


def _write(root: Path, *, compression: str | None = None, **kwargs) -> Path:
    res = write_mds_partition(iter(_samples()), str(root / "part-00000"), COLUMNS, compression=compression,
                              size_limit=1 << 10, **kwargs)
    publish_index(str(root), merge_index([("part-00000", res.shards)]))
    return root


def _shards(root: Path) -> list[Path]:
    return sorted((root / "part-00000").iterdir())


def _change_token(root: Path, value: int) -> Path:
    """Replace token ``value`` by ``value + 1`` in the raw shard holding it; return that shard."""
    needle = np.int32(value).tobytes()
    for shard in _shards(root):
        data = shard.read_bytes()
        at = data.find(needle)
        if at >= 0:
            shard.write_bytes(data[:at] + np.int32(value + 1).tobytes() + data[at + 4:])
            return shard
    raise AssertionError(f"token {value} is in no shard")


def _set_index_bytes(root: Path, shard: Path) -> None:
    """Make index.json agree with the shard's new size, so only the shard's own structure can tell."""
    index = json.loads((root / "index.json").read_text())
    for entry in index["shards"]:
        if entry["raw_data"]["basename"].endswith(shard.name):
            entry["raw_data"]["bytes"] = shard.stat().st_size
    (root / "index.json").write_text(json.dumps(index))


def _one_line_error(root: Path, match: str, **kwargs) -> str:
    with pytest.raises(MDSFormatError, match=match) as info:
        validate_mds(str(root), **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_hashes_on_by_default(tmp_path):
    assert DEFAULT_HASHES == ("xxh64",)
    root = _write(tmp_path, compression="zstd")
    for entry in read_index(str(root))["shards"]:
        assert entry["hashes"] == ["xxh64"]
        assert set(entry["raw_data"]["hashes"]) == set(entry["zip_data"]["hashes"]) == {"xxh64"}
    assert ShardWriter(out_dir=str(tmp_path), columns={"a": "str"}).hashes == ["xxh64"]
    report = validate_mds(str(root))
    assert report["hashes_checked"] is True and report["hash_algorithms"] == ["xxh64"]
    assert report["warnings"] == [] and report["samples"] == 30


def test_changed_token_fails_hash_check(tmp_path):
    root = _write(tmp_path)
    assert validate_mds(str(root))["ok"]
    shard = _change_token(root, 1000 + 40 * 17 + 5)
    message = _one_line_error(root, "xxh64 hash mismatch")
    assert f"part-00000/{shard.name}" in message


def test_flipped_bit_in_zstd_shard_fails(tmp_path):
    root = _write(tmp_path, compression="zstd", hashes=("sha1", "xxh64"))
    report = validate_mds(str(root), vocab_size=3000)
    assert report["hashes_checked"] and report["hash_algorithms"] == ["sha1", "xxh64"]
    shard = _shards(root)[1]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    message = _one_line_error(root, "sha1 hash mismatch")
    assert shard.name in message and message.endswith("corrupt or was replaced")


def test_no_hashes_reported_honestly(tmp_path):
    root = _write(tmp_path, hashes=())
    report = validate_mds(str(root))
    assert report["ok"] and report["hashes_checked"] is False and report["hash_algorithms"] == []
    assert "no hashes" in report["warnings"][0]
    # A changed token that keeps the layout valid cannot be detected without hashes: the report must say so.
    _change_token(root, 1000 + 40 * 3)
    assert validate_mds(str(root))["hashes_checked"] is False
    hashed = _write(tmp_path / "hashed")
    assert validate_mds(str(hashed), check_hashes=False)["hashes_checked"] is False


@pytest.mark.parametrize("keep", [6, 30, -7])
def test_truncated_shard_fails_without_hashes(tmp_path, keep):
    root = _write(tmp_path, hashes=())
    shard = _shards(root)[0]
    shard.write_bytes(shard.read_bytes()[:keep])
    _one_line_error(root, "has .* bytes, index.json says")
    _set_index_bytes(root, shard)
    message = _one_line_error(root, "truncated|offsets need|last offset")
    assert shard.name in message


def test_garbage_in_a_shard_fails_without_hashes(tmp_path):
    root = _write(tmp_path, hashes=())
    shard = _shards(root)[0]
    good = shard.read_bytes()
    offsets = np.frombuffer(good, np.uint32, count=4, offset=4).copy()
    offsets[1], offsets[2] = offsets[2], offsets[1]  # two sample starts swapped: not increasing
    shard.write_bytes(good[:4] + offsets.tobytes() + good[20:])
    _one_line_error(root, "offsets are not increasing")
    first = int(np.frombuffer(good, np.uint32, count=1, offset=4)[0])
    # Sample 0: [text size][tokens size][text][tokens: 1 header byte 4, length 32, 32 int32]; columns sorted.
    text_size, tokens_size = np.frombuffer(good, np.uint32, count=2, offset=first).tolist()
    length_at = first + 8 + text_size + 1
    assert good[length_at] == 32 and tokens_size == 2 + 32 * 4
    shard.write_bytes(good[:length_at] + bytes([31]) + good[length_at + 1:])
    _one_line_error(root, r"sample 0 column 'tokens' \(ndarray:int32\) does not decode: .*needs 124 bytes, has 128")
    shard.write_bytes(good[:first + 8] + b"\xff" + good[first + 9:])  # invalid UTF-8 in 'text'
    _one_line_error(root, "sample 0 column 'text' .* does not decode")
    shard.write_bytes(good[:first] + np.uint32(1 << 20).tobytes() + good[first + 4:])
    _one_line_error(root, "sample 0 column 'text' needs 1048576 bytes")


def test_undecompressable_zstd_shard_fails_without_hashes(tmp_path):
    root = _write(tmp_path, compression="zstd", hashes=())
    assert validate_mds(str(root))["samples"] == 30
    shard = _shards(root)[0]
    shard.write_bytes(b"\x00" * shard.stat().st_size)
    message = _one_line_error(root, "does not decompress as zstd")
    assert shard.name in message


def _entry(index: dict) -> dict:
    return index["shards"][0]


BAD_INDEXES = {
    "not json": lambda p, i: p.write_text("{not json"),
    "not utf-8": lambda p, i: p.write_bytes(b"\xff\xfe{}"),
    "deep nesting": lambda p, i: p.write_text("[" * 100_000),
    "a list": lambda p, i: p.write_text("[]"),
    "version 3": lambda p, i: p.write_text(json.dumps({**i, "version": 3})),
    "entry a string": lambda p, i: p.write_text(json.dumps({**i, "shards": ["shard.00000.mds"]})),
    "no samples": lambda p, i: (_entry(i).pop("samples"), p.write_text(json.dumps(i))),
    "no raw_data": lambda p, i: (_entry(i).pop("raw_data"), p.write_text(json.dumps(i))),
    "bytes a string": lambda p, i: (_entry(i)["raw_data"].update(bytes="12"), p.write_text(json.dumps(i))),
    "escaping name": lambda p, i: (_entry(i)["raw_data"].update(basename="../../x.mds"), p.write_text(json.dumps(i))),
    "bad encoding": lambda p, i: (_entry(i).update(column_encodings=["pkl", "str"]), p.write_text(json.dumps(i))),
    "columns differ": lambda p, i: (_entry(i).update(column_names=["text"]), p.write_text(json.dumps(i))),
    "hashes a list": lambda p, i: (_entry(i)["raw_data"].update(hashes=["x"]), p.write_text(json.dumps(i))),
    "a folder": lambda p, i: (p.unlink(), p.mkdir()),
}


@pytest.mark.parametrize("damage", sorted(BAD_INDEXES))
def test_malformed_index_is_one_line_error(tmp_path, damage):
    root = _write(tmp_path)
    path = root / "index.json"
    BAD_INDEXES[damage](path, json.loads(path.read_text()))
    for read in (read_index, validate_mds, lambda r: list(iter_samples(r))):
        with pytest.raises(MDSFormatError) as info:
            read(str(root))
        message = str(info.value)
        assert "\n" not in message and str(path) in message, message


def test_listed_shard_missing(tmp_path):
    root = _write(tmp_path)
    shard = _shards(root)[2]
    shard.unlink()
    message = _one_line_error(root, "is listed in index.json but missing")
    assert str(shard) in message


def test_preview_labels(tmp_path):
    root = _write(tmp_path)
    report = validate_mds(str(root), decode_samples=2)
    assert "decoded" not in report
    assert report["first_tokens"] == [list(range(1000, 1020)), list(range(1040, 1060))]
    res = write_mds_partition(iter([{"text": "hello world"}]), str(tmp_path / "t" / "part-00000"), {"text": "str"})
    publish_index(str(tmp_path / "t"), merge_index([("part-00000", res.shards)]))
    report = validate_mds(str(tmp_path / "t"))
    assert report["first_values"] == [{"text": "hello world"}] and "first_tokens" not in report


def test_cli_validate_one_line(tmp_path, capsys):
    root = _write(tmp_path)
    assert cli_main(["validate", str(root)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["hashes_checked"] is True and len(report["first_tokens"]) == 3
    _change_token(root, 1000)
    assert cli_main(["validate", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("byod: error: shard ") and "xxh64 hash mismatch" in err and "\n" not in err


@pytest.mark.parametrize("compression", [None, "zstd"])
def test_validates_what_streaming_writes(tmp_path, compression):
    """The stricter index and shard checks accept every encoding byod supports as streaming writes it."""
    from streaming import MDSWriter

    columns = {"a": "str", "b": "int", "c": "json", "d": "ndarray:int32", "e": "ndarray", "f": "uint16",
               "g": "ndarray:uint16:3", "h": "float64", "i": "bytes"}
    rows = [{"a": f"é{n}", "b": n, "c": {"n": [n]}, "d": np.arange(n + 1, dtype=np.int32),
             "e": np.ones((2, n + 1)), "f": n, "g": np.array([n, 1, 2], np.uint16), "h": n / 3, "i": b"\x00" * n}
            for n in range(50)]
    with MDSWriter(columns=columns, out=str(tmp_path), compression=compression, hashes=["sha1", "xxh64"],
                   size_limit=1 << 10) as writer:
        for row in rows:
            writer.write(row)
    report = validate_mds(str(tmp_path))
    assert report["samples"] == 50 and report["shards"] > 1 and report["hashes_checked"] is True
    back = list(iter_samples(str(tmp_path)))
    assert back[7]["c"] == {"n": [7]} and back[7]["e"].shape == (2, 8) and back[49]["i"] == b"\x00" * 49
