"""The IDX format of the MNIST files (LeCun et al.), and a seeded split of a data set.

An IDX file is a magic number ``0, 0, type, dims`` (type 0x08 unsigned byte, 0x09 signed byte,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), then ``dims`` big-endian int32 sizes, then
the values in row-major order, big-endian.  ``.gz`` files are read decompressed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnkit.data.text import read_bytes
from rnnkit.errors import DataError

TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """The array of an IDX file (``[n, rows, cols]`` images, ``[n]`` labels, ...)."""
    data = read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f"{path}: not an IDX file (it must start with two zero bytes, then a type and a "
                        "number of dimensions)")
    kind, dims = data[2], data[3]
    if kind not in TYPES:
        raise DataError(f"{path}: unknown IDX value type 0x{kind:02X}; expected one of "
                        f"{', '.join(f'0x{k:02X}' for k in TYPES)}")
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"{path}: the header needs {header} bytes for {dims} dimensions, the file has {len(data)}")
    shape = tuple(int(s) for s in np.frombuffer(data, ">i4", count=dims, offset=4))
    dtype = np.dtype(TYPES[kind])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{path}: a {' x '.join(map(str, shape))} array of {dtype.name} needs {expected} bytes, "
                        f"the file has {len(data)} ({'truncated' if len(data) < expected else 'extra bytes'})")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` (one of the IDX value types) as an IDX file."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in TYPES.items()}
    kind = codes.get(array.dtype.newbyteorder("="))
    if kind is None:
        raise ValueError(f"IDX has no value type for {array.dtype}")
    header = bytes([0, 0, kind, array.ndim]) + np.asarray(array.shape, ">i4").tobytes()
    Path(path).write_bytes(header + array.astype(TYPES[kind]).tobytes())


def split_indices(n: int, fractions: tuple[float, ...] = (0.8, 0.1, 0.1), seed: int = 0) -> list[np.ndarray]:
    """A seeded random partition of ``range(n)`` into parts of the given ``fractions`` (which sum
    to 1; the last part takes what rounding leaves): the same ``n`` and ``seed``, the same parts."""
    if any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.round(np.cumsum(fractions[:-1]) * n).astype(int)
    return np.split(order, cuts)
