"""Shard writer and index merge: byte-for-byte equal to streaming's MDSWriter, read back by StreamingDataset."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from streaming import MDSWriter, StreamingDataset

from byod.mds.index import merge_index, part_name, publish_index, read_index
from byod.mds.writer import ShardWriter, parse_compression, write_mds_partition


def _token_samples(count: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{"tokens": rng.integers(0, 128256, size=64, dtype=np.int32)} for _ in range(count)]


def _chat_samples(corpora: Path) -> list[dict]:
    with gzip.open(corpora / "sft_chat_public.jsonl.gz", "rt") as src:
        return [{"messages": json.loads(line)["messages"]} for line in src]


def _pairs(corpora: Path) -> list[dict]:
    with gzip.open(corpora / "sft_pairs_public.jsonl.gz", "rt") as src:
        return [{"prompt": r["prompt"], "response": r["response"]} for r in map(json.loads, src)]


def _streaming(out: Path, columns: dict, samples: list[dict], **kwargs) -> dict:
    with MDSWriter(columns=columns, out=str(out), **kwargs) as writer:
        for sample in samples:
            writer.write(sample)
    return json.loads((out / "index.json").read_text())


@pytest.mark.parametrize("compression", [None, "zstd", "zstd:7"])
@pytest.mark.parametrize("kind", ["tokens", "pairs", "chat"])
def test_shards_equal_mdswriter(tmp_path, corpora, kind, compression):
    columns, samples = {
        "tokens": ({"tokens": "ndarray:int32"}, _token_samples(300)),
        "pairs": ({"prompt": "str", "response": "str"}, _pairs(corpora)),
        "chat": ({"messages": "json"}, _chat_samples(corpora)),
    }[kind]
    size_limit = 1 << 14  # small enough for several shards
    ref = _streaming(tmp_path / "ref", columns, samples, compression=compression, hashes=["sha1", "xxh64"],
                     size_limit=size_limit)
    ours = write_mds_partition(iter(samples), str(tmp_path / "ours"), columns, compression=compression,
                               size_limit=size_limit, hashes=("sha1", "xxh64"))
    assert len(ref["shards"]) > 1
    assert ours.shards == ref["shards"]
    for entry in ref["shards"]:
        name = (entry["zip_data"] or entry["raw_data"])["basename"]
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()


def test_merged_index_reads_back_in_streaming(tmp_path):
    samples = _token_samples(50, seed=1)
    parts = []
    for p, chunk in enumerate((samples[:20], samples[20:])):
        res = write_mds_partition(iter(chunk), str(tmp_path / part_name(p)), {"tokens": "ndarray:int32"},
                                  compression="zstd", size_limit=1 << 11)
        parts.append((part_name(p), res.shards))
    publish_index(str(tmp_path), merge_index(parts))
    assert read_index(str(tmp_path))["shards"][0]["raw_data"]["basename"] == "part-00000/shard.00000.mds"
    ds = StreamingDataset(local=str(tmp_path), shuffle=False, batch_size=1)
    assert len(ds) == 50
    for i, sample in enumerate(samples):
        np.testing.assert_array_equal(ds[i]["tokens"], sample["tokens"])
    assert not list(tmp_path.glob(".index.json*"))


def test_writer_validation(tmp_path):
    with pytest.raises(ValueError, match="compression"):
        parse_compression("lz4")
    with pytest.raises(ValueError, match="sorted"):
        ShardWriter(out_dir=str(tmp_path), columns={"a": "str"}, hashes=("xxh64", "sha1"))
    with pytest.raises(ValueError, match="size_limit"):
        ShardWriter(out_dir=str(tmp_path), columns={"a": "str"}, size_limit=0)
    writer = ShardWriter(out_dir=str(tmp_path), columns={"a": "str", "b": "int"})
    with pytest.raises(ValueError, match="'b' is missing"):
        writer.write({"a": "x"})
    with pytest.raises(ValueError, match="'a'"):
        writer.write({"a": "\ud800", "b": 1})
