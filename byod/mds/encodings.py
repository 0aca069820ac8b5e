"""MDS column encodings byod writes: name -> encode, decode and fixed size (None = variable).

Byte layouts (little-endian), the same as mosaicml-streaming's ``format/mds/encodings.py``::

    str          UTF-8 bytes
    bytes        the bytes as given
    json         json.dumps(value) as UTF-8 (keys in the order given, like streaming's writer)
    int          int64, 8 bytes
    int32 ...    one numpy scalar: int8/16/32/64, uint8/16/32/64, float16/32/64
    ndarray:D    [ndim << 2 | shape dtype code: 1 byte] [shape: ndim x uint8/16/32/64] [values: D]
    ndarray:D:S  [values: D] (static shape S, e.g. ``ndarray:int32:2048``)
    ndarray      [dtype code: 1 byte] then as ``ndarray:D``

Shape dtype codes: 0 uint8, 1 uint16, 2 uint32, 3 uint64 (the smallest that holds the largest dimension).
Value dtype codes: 8 uint8, 9 int8, 16 uint16, 17 int16, 18 float16, 32 uint32, 33 int32, 34 float32,
64 uint64, 65 int64, 66 float64.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

_SHAPE_DTYPES = ("uint8", "uint16", "uint32", "uint64")
_VALUE_DTYPE_CODES = {
    "uint8": 8, "int8": 9, "uint16": 16, "int16": 17, "float16": 18, "uint32": 32, "int32": 33,
    "float32": 34, "uint64": 64, "int64": 65, "float64": 66,
}
_VALUE_DTYPES = {code: name for name, code in _VALUE_DTYPE_CODES.items()}
_SCALARS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
            "float64")


@dataclass(frozen=True)
class Coder:
    """One column encoding: ``encode(value) -> bytes``, ``decode(bytes) -> value``, fixed size or None."""

    name: str
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]
    size: int | None


def _encode_str(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"an MDS 'str' column needs str values, got {type(value).__name__}")
    return value.encode("utf-8")


def _encode_bytes(value: Any) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"an MDS 'bytes' column needs bytes values, got {type(value).__name__}")
    return bytes(value)


def _encode_json(value: Any) -> bytes:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value).encode("utf-8")


def _shape_dtype(shape: tuple[int, ...]) -> int:
    """Code of the smallest unsigned dtype that holds every dimension (0..3)."""
    largest = max(shape)
    for code in range(4):
        if largest < 1 << (8 << code):
            return code
    return 3


def ndarray_coder(dtype: str | None, shape: tuple[int, ...] | None) -> Coder:
    """The ``ndarray[:dtype[:shape]]`` encoding (see the module docstring for the layout)."""
    if dtype is not None and dtype not in _VALUE_DTYPE_CODES:
        raise ValueError(f"ndarray dtype {dtype!r} is not an MDS dtype; use one of {sorted(_VALUE_DTYPE_CODES)}")
    if shape is not None and (not shape or min(shape) < 1):
        raise ValueError(f"ndarray shape {shape} must have dimensions >= 1")
    size = None if dtype is None or shape is None else int(np.prod(shape)) * np.dtype(dtype).itemsize

    def encode(value: Any) -> bytes:
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
        if arr.dtype.name not in _VALUE_DTYPE_CODES:
            raise TypeError(f"ndarray dtype {arr.dtype.name} cannot be stored in MDS")
        if arr.size == 0 or arr.ndim == 0:
            raise ValueError(f"an MDS ndarray needs at least one element and one axis, got shape {arr.shape}")
        parts = []
        if dtype is None:
            parts.append(bytes([_VALUE_DTYPE_CODES[arr.dtype.name]]))
        if shape is None:
            if arr.ndim >= 64:
                raise ValueError(f"an MDS ndarray has at most 63 axes, got {arr.ndim}")
            code = _shape_dtype(arr.shape)
            parts.append(bytes([(arr.ndim << 2) | code]))
            parts.append(np.asarray(arr.shape, dtype=_SHAPE_DTYPES[code]).tobytes())
        elif arr.shape != shape:
            raise ValueError(f"ndarray shape {arr.shape} differs from the column's fixed shape {shape}")
        parts.append(np.ascontiguousarray(arr).tobytes())
        return b"".join(parts)

    def decode(data: bytes) -> np.ndarray:
        # Strict: every length must agree, so a cut or garbled sample raises instead of decoding short.
        pos = 0
        value_dtype = dtype
        if value_dtype is None:
            if not data or data[0] not in _VALUE_DTYPES:
                raise ValueError(f"ndarray dtype code {data[:1].hex() or 'missing'} is not an MDS dtype")
            value_dtype = _VALUE_DTYPES[data[0]]
            pos = 1
        value_shape: tuple[int, ...] | None = shape
        if value_shape is None:
            if len(data) <= pos:
                raise ValueError("ndarray shape header missing")
            ndim, code = data[pos] >> 2, data[pos] & 3
            width = 1 << code
            if ndim == 0 or len(data) < pos + 1 + ndim * width:
                raise ValueError(f"ndarray shape header of {ndim} axes does not fit in {len(data)} bytes")
            dims = np.frombuffer(data, _SHAPE_DTYPES[code], count=ndim, offset=pos + 1)
            value_shape = tuple(int(d) for d in dims)
            pos += 1 + ndim * width
        need = int(np.prod(value_shape)) * np.dtype(value_dtype).itemsize
        if len(data) - pos != need:
            raise ValueError(f"ndarray of shape {value_shape} {value_dtype} needs {need} bytes, has {len(data) - pos}")
        if need == 0:
            return np.zeros(value_shape, value_dtype)
        return np.frombuffer(data, value_dtype, offset=pos).reshape(value_shape)

    name = "ndarray" + (f":{dtype}" if dtype else "") + (f":{','.join(map(str, shape))}" if shape else "")
    return Coder(name, encode, decode, size)


def _scalar_coder(name: str) -> Coder:
    dtype = np.dtype(name)
    return Coder(name, lambda v: dtype.type(v).tobytes(), lambda b: np.frombuffer(b, dtype)[0], dtype.itemsize)


def get_coder(encoding: str) -> Coder:
    """The coder of an encoding name such as ``'str'``, ``'json'`` or ``'ndarray:int32'``."""
    if not isinstance(encoding, str):
        raise TypeError(f"an MDS encoding is a str such as 'ndarray:int32', got {type(encoding).__name__}")
    if encoding == "str":
        return Coder("str", _encode_str, lambda b: b.decode("utf-8"), None)
    if encoding == "bytes":
        return Coder("bytes", _encode_bytes, bytes, None)
    if encoding == "json":
        return Coder("json", _encode_json, lambda b: json.loads(b.decode("utf-8")), None)
    if encoding == "int":
        return Coder("int", lambda v: np.int64(v).tobytes(), lambda b: int(np.frombuffer(b, np.int64)[0]), 8)
    if encoding in _SCALARS:
        return _scalar_coder(encoding)
    head, _, rest = encoding.partition(":")
    if head == "ndarray":
        args = rest.split(":") if rest else []
        if len(args) > 2:
            raise ValueError(f"bad ndarray encoding {encoding!r}: use ndarray[:dtype[:d1,d2,...]]")
        dtype = args[0] if args else None
        shape = tuple(int(d) for d in args[1].split(",")) if len(args) == 2 else None
        return ndarray_coder(dtype, shape)
    raise ValueError(
        f"MDS encoding {encoding!r} is not supported by byod; use one of str, bytes, json, int, "
        f"{', '.join(_SCALARS)}, ndarray[:dtype[:shape]]"
    )


def is_supported(encoding: str) -> bool:
    """True when :func:`get_coder` accepts ``encoding``."""
    try:
        get_coder(encoding)
    except (TypeError, ValueError):
        return False
    return True
