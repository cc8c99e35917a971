"""TSV reading: header detection, columns by name or index, and errors naming file and line."""
import pytest

from rnnkit.data import read_tsv
from rnnkit.errors import DataError


def write(tmp_path, text, name="data.tsv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_glue_header_is_detected(tmp_path):
    data = read_tsv(write(tmp_path, "sentence\tlabel\ngood film \t1\nbad film\t0\n"))
    assert data.header == ["sentence", "label"]
    assert data.texts == ["good film", "bad film"] and data.labels == ["1", "0"] and data.lines == [2, 3]


def test_no_header_when_the_first_label_is_a_label_of_the_data(tmp_path):
    data = read_tsv(write(tmp_path, "good\tpos\nbad\tneg\nfine\tpos\n"))
    assert data.header is None and data.texts == ["good", "bad", "fine"]


def test_columns_by_name_and_by_index(tmp_path):
    path = write(tmp_path, "id\tlabel\ttext\n1\tpos\tgood\n2\tneg\tbad\n")
    by_name = read_tsv(path, text_column="text", label_column="label")
    assert by_name.texts == ["good", "bad"] and by_name.labels == ["pos", "neg"]
    by_index = read_tsv(path, text_column="2", label_column="1")
    assert by_index.texts == ["good", "bad"] and by_index.labels == ["pos", "neg"]
    with pytest.raises(DataError, match="no column named 'txt'"):
        read_tsv(path, text_column="txt", label_column="label")
    with pytest.raises(DataError, match="line 1: column 5 does not exist, the line has 3"):
        read_tsv(path, text_column="5")


@pytest.mark.parametrize("text, message", [
    ("good\tpos\nbad\n", r"data.tsv, line 2: no label"),
    ("good\tpos\nbad\t\n", r"data.tsv, line 2: no label"),
    ("good\tpos\n \tneg\n", r"data.tsv, line 2: the text is empty"),
    ("", r"data.tsv: is empty"),
    ("\n\n", r"data.tsv: is empty"),
])
def test_errors_name_the_file_and_line(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_tsv(write(tmp_path, text))


@pytest.mark.parametrize("text, message", [
    ("good\tpos\nbad\tneg\textra\nfine\tpos\n", r"data.tsv, line 2: 3 tab-separated field\(s\), but line 1 has 2"),
    ("a\tgood\tpos\nb\tfine\tpos\nbad\tneg\n", r"data.tsv, line 3: no label: 2 tab-separated field\(s\), but line 1 has 3"),
    ("sentence\tlabel\ngood\t1\n\nbad\tfilm\t0\n",
     r"data.tsv, line 4: 3 tab-separated field\(s\), but line 1 has 2"),
])
def test_rows_of_another_width_are_an_error(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_tsv(write(tmp_path, text))


def test_the_label_is_the_last_column_by_default(tmp_path):
    data = read_tsv(write(tmp_path, "good\tfilm\tpos\nbad\tfilm\tneg\nfine\tfilm\tpos\n"))
    assert data.texts == ["good", "bad", "fine"] and data.labels == ["pos", "neg", "pos"]
    two = read_tsv(write(tmp_path, "good film\tpos\nbad film\tneg\nfine\tpos\n"))
    assert two.texts == ["good film", "bad film", "fine"] and two.labels == ["pos", "neg", "pos"]


def test_unlabelled_rows_for_prediction(tmp_path):
    data = read_tsv(write(tmp_path, "good film\nbad film\n"), labelled=False)
    assert data.texts == ["good film", "bad film"] and data.labels == ["", ""]
    mixed = read_tsv(write(tmp_path, "good film\tpos\nbad film\nfine\tpos\n"), labelled=False)
    assert mixed.texts == ["good film", "bad film", "fine"] and mixed.labels == ["pos", "", "pos"]
