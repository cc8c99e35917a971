import gzip

import pytest

from rnnkit.data import read_text
from rnnkit.errors import DataError


def test_reads_utf8_and_gzip(tmp_path):
    (tmp_path / "a.txt").write_text("héllo\r\nworld\n", encoding="utf-8")
    assert read_text(tmp_path / "a.txt") == "héllo\nworld\n"
    with gzip.open(tmp_path / "b.txt.gz", "wt", encoding="utf-8") as f:
        f.write("zipped\n")
    assert read_text(tmp_path / "b.txt.gz") == "zipped\n"


@pytest.mark.parametrize("content,match", [
    (b"", "is empty"),
    (b"  \n\n", "is empty"),
    (b"line one\nline two\x00\x01\x02", r"line 2: contains a NUL byte"),
    (b"ok\nstill ok\ncaf\xe9\n", r"line 3, column 4: byte 0xe9 is not valid UTF-8"),
])
def test_bad_files_name_file_and_line(tmp_path, content, match):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=match) as e:
        read_text(path)
    assert str(path) in str(e.value)


def test_missing_directory_and_fake_gzip(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="is a directory"):
        read_text(tmp_path)
    (tmp_path / "fake.gz").write_text("not compressed")
    with pytest.raises(DataError, match="not gzip-compressed"):
        read_text(tmp_path / "fake.gz")
