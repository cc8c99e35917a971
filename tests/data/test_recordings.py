"""Reading recordings: UEA/UCR .ts files, UCR text files (multivariate, unequal lengths, missing values, labels) and
long-form CSV, with errors that name the file and line."""
import math

import pytest
import torch

from rnnkit.data.recordings import read_recordings, recordings_format
from rnnkit.errors import DataError

TS = """# made for the tests
@problemName Toy
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength false
@classLabel true up down
@data
1,2,3:4,5,6:up
7,?:8,9:down
"""


def write(path, text):
    path.write_text(text)
    return path


def test_multivariate_unequal_lengths_missing_values_and_labels(tmp_path):
    r = read_recordings(write(tmp_path / "toy.ts", TS))
    assert r.channels == 2 and r.labels == ["up", "down"] and r.class_labels == ["up", "down"]
    assert r.lines == [10, 11]
    torch.testing.assert_close(r.cases[0], torch.tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]], dtype=torch.float64))
    assert r.cases[1].shape == (2, 2) and math.isnan(r.cases[1][1, 0]) and r.cases[1][1, 1] == 9.0


def test_long_form_csv_reads_the_same_cases(tmp_path):
    csv = write(tmp_path / "toy.csv", "case,step,x,y,label\n"
                "a,2,3,6,up\na,0,1,4,up\na,1,2,5,up\nb,0,7,8,down\nb,1,?,9,down\n")
    r, ts = read_recordings(csv), read_recordings(write(tmp_path / "toy.ts", TS))
    assert r.labels == ts.labels and r.channels == 2 and r.lines == [2, 5]
    for got, want in zip(r.cases, ts.cases):
        torch.testing.assert_close(got, want, equal_nan=True)
    unlabelled = read_recordings(write(tmp_path / "new.csv", "case,step,x,y\nc,0,1,2\n"), labelled=False)
    assert unlabelled.labels is None and unlabelled.cases[0].shape == (1, 2)


@pytest.mark.parametrize("data, message", [
    ("1,2:3,4:up\n1,x:3,4:up\n", r"line 11: 'x' \(dimension 1\) is not a number"),
    ("1,2:3,4:up\n1,2:up\n", r"line 11: 1 dimension\(s\), expected 2"),
    ("1,2:3:up\n", r"line 10: the dimensions of a case must have as many values each "
                   r"\(dimension 1: 2, dimension 2: 1\)"),
    ("1,2:3,4:left\n", r"line 10: class label 'left' is not one of those @classLabel declares \(up down\)"),
    ("", r"has no cases"),
])
def test_bad_ts_files_name_the_line(tmp_path, data, message):
    head = TS[: TS.index("@data") + len("@data\n")]
    with pytest.raises(DataError, match=message):
        read_recordings(write(tmp_path / "bad.ts", head + data))


def test_empty_unlabelled_timestamped_and_unknown_files(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        read_recordings(write(tmp_path / "empty.ts", ""))
    with pytest.raises(DataError, match="no class labels"):
        read_recordings(write(tmp_path / "u.ts", "@classLabel false\n@data\n1,2:3,4\n"))
    unlabelled = read_recordings(write(tmp_path / "u.ts", "@classLabel false\n@data\n1,2:3,4\n"), labelled=False)
    assert unlabelled.labels is None
    with pytest.raises(DataError, match="time-stamped"):
        read_recordings(write(tmp_path / "t.ts", "@timeStamps true\n@data\n(0,1):up\n"))
    with pytest.raises(DataError, match=r"x.txt: is not recordings .* give --format ucr, ts or csv"):
        read_recordings(write(tmp_path / "x.txt", "1\n"))


@pytest.mark.parametrize("text, message", [
    ("id,x,label\n1,2,up\n", r"line 1: a long-form recordings CSV starts with the header case,step"),
    ("case,step,x,label\na,0,1\n", r"line 2: 3 fields, the header has 4"),
    ("case,step,x,label\na,0,1,up\na,0,2,up\n", r"line 3: case 'a' has step 0 twice"),
    ("case,step,x,label\na,0,1,up\na,1,2,down\n", r"line 3: case 'a' has the label 'down' here and 'up' on line 2"),
    ("case,step,x,label\n", r"has no cases"),
    ("case,step,x\na,0,1\n", r"line 1: has no label column"),
])
def test_bad_long_form_csv(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_recordings(write(tmp_path / "bad.csv", text))


UCR = """   1.0000000e+00   1.5e+00  -2.0000000e+00   3.0
   2.0000000e+00   4.0   NaN   6.0
   1.0000000e+00   7.0   8.0   NaN   NaN
"""


@pytest.mark.parametrize("name, text", [
    ("Toy_TRAIN.txt", UCR),                                               # the 2015 archive: spaces, 1.0e+00 labels
    ("Toy_TRAIN.tsv", UCR.replace("   ", "\t").replace("\n\t", "\n").lstrip("\t")),  # the 2018 archive: tabs
    ("toy.csv", UCR.replace("   ", ",").replace("\n,", "\n").lstrip(",")),           # commas
])
def test_ucr_text_files_in_each_archive_form(tmp_path, name, text):
    path = write(tmp_path / name, text)
    assert recordings_format(path) == "ucr"
    r = read_recordings(path)
    assert r.labels == ["1", "2", "1"] and r.channels == 1 and r.lines == [1, 2, 3]
    assert r.cases[0].squeeze(1).tolist() == [1.5, -2.0, 3.0]
    assert r.cases[1][0, 0] == 4 and math.isnan(r.cases[1][1, 0]) and r.cases[1][2, 0] == 6   # missing inside
    assert r.cases[2].squeeze(1).tolist() == [7.0, 8.0]                                        # padding dropped


def test_what_is_text_and_what_is_recordings(tmp_path):
    sentences = write(tmp_path / "sst.tsv", "a fine film\t1\nnot good\t0\n")
    assert recordings_format(sentences) is None
    numbers = write(tmp_path / "ids.tsv", "1\t5\n2\t6\n3\t7\n4\t8\n")   # a distinct first field on every line
    assert recordings_format(numbers) is None
    assert recordings_format(numbers, "ucr") == "ucr"                     # --format decides
    series = write(tmp_path / "one_each.txt", "1 5 6\n2 6 7\n3 7 8\n4 8 9\n")   # values, labels that do not repeat
    with pytest.raises(DataError, match="4 distinct values in 4 lines.*give --format ucr"):
        recordings_format(series)
    assert recordings_format(write(tmp_path / "x.ts", TS)) == "ts"
    assert recordings_format(write(tmp_path / "long.txt", "case,step,x,label\na,0,1,up\n")) == "csv"
    with pytest.raises(DataError, match="--format tsv is text"):
        read_recordings(sentences, format="tsv")


@pytest.mark.parametrize("text, message", [
    ("up 1 2 3\n", r"line 1: the class label 'up' \(the first field\) is not a number"),
    ("1 2 3\n2 4 x\n", r"line 2: 'x' \(value 2\) is not a number"),
    ("1 2 3\n2 NaN NaN\n", r"line 2: a case needs its class label and then at least one value"),
])
def test_bad_ucr_text_files(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_recordings(write(tmp_path / "bad.txt", text), format="ucr")
