"""byod's MDS reader and validate_mds: samples back, and every kind of damage raises MDSFormatError."""

from __future__ import annotations

import json

import numpy as np
import pytest

from byod.errors import MDSFormatError
from byod.mds.index import merge_index, publish_index
from byod.mds.reader import iter_samples
from byod.mds.validate import validate_mds
from byod.mds.writer import write_mds_partition


@pytest.fixture
def dataset(tmp_path):
    samples = [{"tokens": np.arange(i + 1, i + 33, dtype=np.int32), "text": f"doc {i}"} for i in range(40)]
    res = write_mds_partition(iter(samples), str(tmp_path / "part-00000"), {"tokens": "ndarray:int32", "text": "str"},
                              compression="zstd", size_limit=1 << 10, hashes=("sha1",))
    publish_index(str(tmp_path), merge_index([("part-00000", res.shards)]))
    return tmp_path, samples


def test_reads_back_and_validates(dataset):
    root, samples = dataset
    back = list(iter_samples(str(root)))
    assert [s["text"] for s in back] == [s["text"] for s in samples]
    np.testing.assert_array_equal(back[7]["tokens"], samples[7]["tokens"])
    report = validate_mds(str(root), expected_samples=40, vocab_size=100)
    assert report["samples"] == 40 and report["max_token_id"] == 71 and report["shards"] > 1


def test_count_and_vocab_mismatch(dataset):
    root, _ = dataset
    with pytest.raises(MDSFormatError, match="writer reported 41"):
        validate_mds(str(root), expected_samples=41)
    with pytest.raises(MDSFormatError, match="outside the vocabulary"):
        validate_mds(str(root), vocab_size=50)


def test_corrupt_shard_and_missing_index(dataset):
    root, _ = dataset
    shard = sorted((root / "part-00000").glob("*.zstd"))[0]
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(MDSFormatError, match="sha1 hash"):
        validate_mds(str(root))
    (root / "index.json").unlink()
    with pytest.raises(MDSFormatError, match="does not exist"):
        validate_mds(str(root))


def test_sample_count_in_index_checked(dataset):
    root, _ = dataset
    index = json.loads((root / "index.json").read_text())
    index["shards"][0]["samples"] += 1
    (root / "index.json").write_text(json.dumps(index))
    with pytest.raises(MDSFormatError, match="samples, index.json says"):
        validate_mds(str(root), check_hashes=False)
