import gzip

import pytest

from rnnkit.data.parallel import read_parallel
from rnnkit.errors import DataError


def test_aligned_lines_and_gzip(tmp_path):
    (tmp_path / "a.de").write_text("Ein Hund .\nZwei Katzen\n")
    with gzip.open(tmp_path / "a.en.gz", "wt") as f:
        f.write("A dog .\nTwo cats\n")
    pairs = read_parallel(tmp_path / "a.de", tmp_path / "a.en.gz")
    assert pairs == [("Ein Hund .", "A dog ."), ("Zwei Katzen", "Two cats")]


@pytest.mark.parametrize("src, tgt, message", [
    ("a\nb\n", "x\n", r"s.txt has 2 lines but .*t.txt has 1; the two sides of a parallel text must be line-aligned"),
    ("a\n\nc\n", "x\ny\nz\n", r"s.txt, line 2: empty sentence \(line 2 of the other side: 'y'\)"),
    ("a\nb\n", "x\n \n", r"t.txt, line 2: empty sentence \(line 2 of the other side: 'b'\)"),
    ("", "x\n", r"s.txt: is empty"),
])
def test_errors_name_file_and_line(tmp_path, src, tgt, message):
    (tmp_path / "s.txt").write_text(src)
    (tmp_path / "t.txt").write_text(tgt)
    with pytest.raises(DataError, match=message):
        read_parallel(tmp_path / "s.txt", tmp_path / "t.txt")
