"""MDS encodings: pinned bytes, equal to streaming's encoders, and decode round trips."""

from __future__ import annotations

import numpy as np
import pytest
from streaming.base.format.mds.encodings import mds_decode, mds_encode

from byod.mds.encodings import get_coder, is_supported

CASES = [
    ("str", "héllo"),
    ("bytes", b"\x00\x01"),
    ("json", {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}),
    ("int", 7),
    ("int32", 5),
    ("uint16", 300),
    ("float64", 1.5),
    ("ndarray:int32", np.array([1, 2, 128000], dtype=np.int32)),
    ("ndarray:int32", np.arange(300, dtype=np.int32)),
    ("ndarray:uint16:3", np.array([1, 2, 3], dtype=np.uint16)),
    ("ndarray", np.arange(6, dtype=np.int64).reshape(2, 3)),
]


@pytest.mark.parametrize(("encoding", "value"), CASES)
def test_bytes_equal_streaming(encoding, value):
    coder = get_coder(encoding)
    data = coder.encode(value)
    assert data == mds_encode(encoding, value)
    back = coder.decode(data)
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, mds_decode(encoding, data))
        assert back.dtype == value.dtype and back.shape == value.shape
    else:
        assert back == value


def test_ndarray_int32_pinned_layout():
    # ndim 1, shape dtype uint8 (code 0): header byte 1 << 2 | 0 = 4, then the length, then the values.
    data = get_coder("ndarray:int32").encode(np.array([1, 2], dtype=np.int32))
    assert data == bytes([4, 2]) + np.array([1, 2], np.int32).tobytes()
    # 300 elements need a uint16 shape (code 1): header 4 | 1 = 5.
    data = get_coder("ndarray:int32").encode(np.zeros(300, dtype=np.int32))
    assert data[:3] == bytes([5]) + np.uint16(300).tobytes()


@pytest.mark.parametrize("encoding", ["pkl", "jpeg", "ndarray:int33", "ndarray:int32:2:3:4", "nope"])
def test_unsupported_encodings(encoding):
    assert not is_supported(encoding)
    with pytest.raises(ValueError):
        get_coder(encoding)


def test_bad_values_raise():
    with pytest.raises(ValueError, match="at least one element"):
        get_coder("ndarray:int32").encode(np.zeros(0, dtype=np.int32))
    with pytest.raises(TypeError, match="str values"):
        get_coder("str").encode(3)
    with pytest.raises(ValueError, match="fixed shape"):
        get_coder("ndarray:int32:4").encode(np.zeros(3, dtype=np.int32))
