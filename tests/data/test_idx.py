"""IDX arrays (the MNIST format) and the seeded split."""
import gzip
import re

import numpy as np
import pytest

from rnnkit.data import read_idx, split_indices, write_idx
from rnnkit.errors import DataError


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_of_every_value_type(tmp_path, dtype):
    array = (np.arange(2 * 3 * 4) - 7).reshape(2, 3, 4).astype(dtype)
    write_idx(tmp_path / "a.idx", array)
    got = read_idx(tmp_path / "a.idx")
    assert got.dtype == array.dtype and got.shape == (2, 3, 4) and np.array_equal(got, array)


def test_mnist_layout_and_gzip(tmp_path):
    """The bytes of an MNIST images file: magic 2051, n, 28, 28, then the pixels."""
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    raw = (2051).to_bytes(4, "big") + b"".join(v.to_bytes(4, "big") for v in (3, 28, 28)) + pixels.tobytes()
    with gzip.open(tmp_path / "images-idx3-ubyte.gz", "wb") as f:
        f.write(raw)
    assert np.array_equal(read_idx(tmp_path / "images-idx3-ubyte.gz"), pixels)
    (tmp_path / "labels").write_bytes((2049).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes([7, 0, 9]))
    assert read_idx(tmp_path / "labels").tolist() == [7, 0, 9]


@pytest.mark.parametrize("content,message", [
    (b"", "not an IDX file"),
    (b"PK\x03\x04rest", "not an IDX file"),
    (bytes([0, 0, 0x42, 1]) + (3).to_bytes(4, "big"), "unknown IDX value type 0x42"),
    (bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big"), "the header needs 16 bytes"),
    (bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + b"abc", "needs 13 bytes, the file has 11 (truncated)"),
    (bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + b"abc", "needs 10 bytes, the file has 11 (extra bytes)"),
])
def test_bad_files_name_the_problem(tmp_path, content, message):
    (tmp_path / "bad.idx").write_bytes(content)
    with pytest.raises(DataError, match=re.escape(message)):
        read_idx(tmp_path / "bad.idx")
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "missing.idx")


def test_seeded_split_is_a_partition_and_reproducible():
    parts = split_indices(1001, (0.8, 0.1, 0.1), seed=3)
    assert [len(p) for p in parts] == [801, 100, 100]
    assert sorted(np.concatenate(parts).tolist()) == list(range(1001))
    assert all(np.array_equal(a, b) for a, b in zip(parts, split_indices(1001, (0.8, 0.1, 0.1), seed=3)))
    assert not np.array_equal(parts[0], split_indices(1001, (0.8, 0.1, 0.1), seed=4)[0])
    with pytest.raises(ValueError, match="sum to 1"):
        split_indices(10, (0.5, 0.2))
