"""Reading series: CSV columns and time columns in their common forms, missing values, .tsf files,
and errors that name the file and line."""
import math
import warnings
from datetime import datetime

import pytest

from rnnkit.data.series import Step, interpolate, read_csv_series, read_tsf
from rnnkit.errors import DataError


def write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("cells, step, first", [
    (["1949-01", "1949-02", "1949-03"], Step(months=1), datetime(1949, 1, 1)),
    (["2020-01-01", "2020-01-02", "2020-01-03"], Step(seconds=86400), datetime(2020, 1, 1)),
    (["19580329", "19580405", "19580412"], Step(seconds=7 * 86400), datetime(1958, 3, 29)),
    (["1700", "1701", "1702"], Step(months=12), datetime(1700, 1, 1)),
    (["Jan-1-1995", "Feb-1-1995", "Mar-1-1995"], Step(months=1), datetime(1995, 1, 1)),
    (["Jan 1995", "Apr 1995", "Jul 1995"], Step(months=3), datetime(1995, 1, 1)),
    (["2020-01-01 00:00:00", "2020-01-01 01:00:00", "2020-01-01 02:00:00"], Step(seconds=3600), datetime(2020, 1, 1)),
])
def test_time_columns_in_common_forms(tmp_path, cells, step, first):
    path = write(tmp_path / "s.csv", "when,value\n" + "".join(f"{c},{k + 1}\n" for k, c in enumerate(cells)))
    series = read_csv_series(path)
    assert series.values == [1.0, 2.0, 3.0] and series.name == "value"
    assert series.step == step and series.times[0] == first
    future = series.future(2)
    assert future[0] == step.after(series.times[-1]) and future[1] == step.after(series.times[-1], 2)
    assert series.format_time(series.times[1]) == cells[1]


def test_month_steps_keep_the_end_of_the_month():
    assert Step(months=1).after(datetime(2020, 1, 31)) == datetime(2020, 2, 29)
    assert Step(months=12).index(datetime(1971, 5, 1)) == 1 and Step(months=1).index(datetime(1971, 5, 1)) == 16


def test_columns_by_name_or_index_and_headerless_files(tmp_path):
    path = write(tmp_path / "s.csv", "date,a,b\n2000,1,10\n2001,2,20\n")
    assert read_csv_series(path).values == [10.0, 20.0]
    assert read_csv_series(path, column="a").values == [1.0, 2.0]
    assert read_csv_series(path, column=1).values == [1.0, 2.0]
    bare = write(tmp_path / "bare.csv", "5\n6\n7\n")
    series = read_csv_series(bare)
    assert series.values == [5.0, 6.0, 7.0] and series.times is None
    quoted = write(tmp_path / "q.csv", '"YEAR";"SPOTS"\n1700;5\n1701;11\n')
    assert read_csv_series(quoted).values == [5.0, 11.0]


def test_unparseable_or_irregular_times_warn_and_leave_the_times_out(tmp_path):
    irregular = write(tmp_path / "i.csv", "date,v\n2000-01-01,1\n2000-01-02,2\n2000-01-05,3\n")
    with pytest.warns(UserWarning, match="not evenly spaced"):
        series = read_csv_series(irregular)
    assert series.values == [1.0, 2.0, 3.0] and series.times is None and series.future(2) is None
    odd = write(tmp_path / "o.csv", "when,v\nmonday,1\ntuesday,2\n")
    with pytest.warns(UserWarning, match="not in a form rnnkit reads"):
        assert read_csv_series(odd, time_column="when").times is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_csv_series(odd).times is None        # not asked for: no warning


def test_missing_values_are_refused_filled_or_masked(tmp_path):
    path = write(tmp_path / "m.csv", "t,v\n1,1\n2,\n3,NA\n4,4\n")
    with pytest.raises(DataError, match=r"m.csv, line 3: the value in column 'v' is missing.*--missing interpolate"):
        read_csv_series(path)
    assert read_csv_series(path, missing="interpolate").values == [1.0, 2.0, 3.0, 4.0]
    masked = read_csv_series(path, missing="mask").values
    assert masked[0] == 1.0 and math.isnan(masked[1]) and math.isnan(masked[2]) and masked[3] == 4.0
    assert interpolate([math.nan, 2.0, math.nan]) == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("text, column, message", [
    ("date,v\n", None, r"e.csv: has no values in column 'v'"),
    ("date,v\n2000,1\n2001,abc\n", None, r"e.csv, line 3: 'abc' in column 'v' is not a number"),
    ("date,v\n2000,1\n", "price", r"e.csv: no column named 'price' \(columns: date, v\)"),
    ("date,v\n2000,1\n", "7", r"e.csv: column 7 does not exist: the file has 2 columns \(date, v\)"),
    ("date,v\n2000,\n2001,\n", None, r"line 2: the value in column 'v' is missing"),
])
def test_bad_csv_files_name_the_file_and_line(tmp_path, text, column, message):
    with pytest.raises(DataError, match=message):
        read_csv_series(write(tmp_path / "e.csv", text), column=column)


def test_empty_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        read_csv_series(write(tmp_path / "empty.csv", ""))
    (tmp_path / "bin.csv").write_bytes(b"v\n1\n\x00\x01")
    with pytest.raises(DataError, match="binary"):
        read_csv_series(tmp_path / "bin.csv")


TSF = """# a comment
@relation test
@attribute series_name string
@attribute start_timestamp date
@frequency yearly
@horizon 2
@missing true
@equallength false
@data
A:1990-01-01 00-00-00:1,2,3,4,5
B:2000-01-01 00-00-00:10,?,30
"""


def test_tsf_series_with_their_start_frequency_and_horizon(tmp_path):
    path = write(tmp_path / "s.tsf", TSF)
    a, b = read_tsf(path, missing="interpolate")
    assert (a.name, a.values, a.horizon) == ("A", [1.0, 2.0, 3.0, 4.0, 5.0], 2)
    assert a.times[0] == datetime(1990, 1, 1) and a.times[-1] == datetime(1994, 1, 1)
    assert b.values == [10.0, 20.0, 30.0] and b.future(1) == [datetime(2003, 1, 1)]
    with pytest.raises(DataError, match=r"s.tsf, line 11: value 2 of series 'B' is missing"):
        read_tsf(path)


@pytest.mark.parametrize("data, message", [
    ("A:1990-01-01 00-00-00:1,x\n", r"line 10: value 2 of series 'A', 'x', is not a number"),
    ("A:soon:1,2\n", r"line 10: the start_timestamp .soon. is not a date"),
    ("A\n", r"line 10: expected 2 field\(s\)"),
    ("", r"has no series"),
])
def test_bad_tsf_lines(tmp_path, data, message):
    head = TSF[: TSF.index("@data") + len("@data\n")]
    with pytest.raises(DataError, match=message):
        read_tsf(write(tmp_path / "bad.tsf", head + data))
