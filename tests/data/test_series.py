"""Reading series: CSV columns and time columns in their common forms (month ends and quarters
among them), missing values, wide CSV files (M4's form), .tsf files, and errors that name the file
and line."""
import math
import warnings
from datetime import datetime

import pytest

from rnnkit.data.series import Step, interpolate, is_wide_csv, read_csv_series, read_tsf, read_wide_csv
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
    (["2015-01-31", "2015-02-28", "2015-03-31"], Step(months=1, month_end=True), datetime(2015, 1, 31)),
    (["2015-03-31", "2015-06-30", "2015-09-30"], Step(months=3, month_end=True), datetime(2015, 3, 31)),
    (["2015-02-28", "2016-02-29", "2017-02-28"], Step(months=12, month_end=True), datetime(2015, 2, 28)),
    (["2010Q1", "2010Q2", "2010Q3"], Step(months=3), datetime(2010, 1, 1)),
    (["2010-Q4", "2011-Q1", "2011-Q2"], Step(months=3), datetime(2010, 10, 1)),
    (["2010 Q1", "2010 Q2", "2010 Q3"], Step(months=3), datetime(2010, 1, 1)),
    (["2010q1", "2010q2", "2010q3"], Step(months=3), datetime(2010, 1, 1)),
    (["Q1 2010", "Q2 2010", "Q3 2010"], Step(months=3), datetime(2010, 1, 1)),
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


def test_month_end_series_continue_at_month_ends(tmp_path):
    path = write(tmp_path / "s.csv", "month,sales\n2015-01-31,1\n2015-02-28,2\n2015-03-31,3\n2015-04-30,4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # not "unevenly spaced"
        series = read_csv_series(path)
    assert series.step == Step(months=1, month_end=True)
    assert series.future(3) == [datetime(2015, 5, 31), datetime(2015, 6, 30), datetime(2015, 7, 31)]
    assert [series.format_time(t) for t in series.future(2)] == ["2015-05-31", "2015-06-30"]
    assert Step(months=1, month_end=True).after(datetime(2016, 1, 31), 1) == datetime(2016, 2, 29)
    assert Step(months=3, month_end=True).after(datetime(2015, 12, 31), 1) == datetime(2016, 3, 31)
    assert Step(months=1, month_end=True).index(datetime(1971, 5, 31)) == 16     # still a calendar position
    assert Step(months=12, month_end=True).index(datetime(1971, 12, 31)) == 1


def test_quarters_are_written_back_in_the_files_form(tmp_path):
    for cells, after in ((["2010Q4", "2011Q1"], ["2011Q2", "2011Q3"]), (["2010-q4", "2011-q1"], ["2011-q2", "2011-q3"]),
                         (["Q4 2010", "Q1 2011"], ["Q2 2011", "Q3 2011"])):
        path = write(tmp_path / "q.csv", "quarter,v\n" + "".join(f"{c},{k}\n" for k, c in enumerate(cells)))
        series = read_csv_series(path)
        assert series.times == [datetime(2010, 10, 1), datetime(2011, 1, 1)] and series.step == Step(months=3)
        assert [series.format_time(t) for t in series.future(2)] == after
    mixed = write(tmp_path / "m.csv", "quarter,v\n2010Q1,1\n2010-Q2,2\n")
    with pytest.warns(UserWarning, match="not in a form rnnkit reads"):
        assert read_csv_series(mixed, time_column="quarter").times is None


def test_the_time_column_cannot_be_the_value_column(tmp_path):
    path = write(tmp_path / "s.csv", "month,sales\n2000-01,1\n2000-02,2\n")
    for column, time_column in (("sales", "sales"), (1, 1), ("sales", -1), (0, "month")):
        with pytest.raises(DataError, match=r"s.csv: the time column and the value column are the same column"):
            read_csv_series(path, column=column, time_column=time_column)


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


WIDE = '''"V1","V2","V3","V4","V5"
"H1","605","586","586",""
"H2","3124","","2990","3000"
"H3","1","2","",""
'''


def test_wide_csv_files_one_series_per_row(tmp_path):
    path = write(tmp_path / "w.csv", WIDE)
    assert is_wide_csv(path)
    h1, h2, h3 = read_wide_csv(path, missing="interpolate")
    assert (h1.name, h1.values, h1.lines, h1.times) == ("H1", [605.0, 586.0, 586.0], [2, 2, 2], None)
    assert h1.source == str(path)
    assert h2.values == [3124.0, 3057.0, 2990.0, 3000.0] and h3.values == [1.0, 2.0] and h3.lines == [4, 4]
    masked = read_wide_csv(path, missing="mask")[1].values
    assert math.isnan(masked[1]) and len(masked) == 4
    with pytest.raises(DataError, match=r"w.csv, line 3: value 2 of series 'H2' is missing.*--missing interpolate"):
        read_wide_csv(path)
    with pytest.raises(DataError, match=r"w.csv: it holds one series per row \(M4's wide form\): give it as --wide"):
        read_csv_series(path)
    semicolons = write(tmp_path / "s.csv", "id;a;b\nx;1;2\ny;3;\n")
    assert is_wide_csv(semicolons) and [s.values for s in read_wide_csv(semicolons)] == [[1.0, 2.0], [3.0]]
    headerless = write(tmp_path / "h.csv", "\nH1,1,2\nH2,3\n")         # read, though not detected without a header
    assert [(s.name, s.values, s.lines) for s in read_wide_csv(headerless)] == [("H1", [1.0, 2.0], [2, 2]),
                                                                                ("H2", [3.0], [3])]


@pytest.mark.parametrize("text", [
    "month,sales,cost\n2015-01,1,2\n2015-02,3,4\n2015-03,5,6\n",               # dated long form
    "month,sales,cost\n2015-01-31,1,2\n2015-02-28,3,4\n",
    "when,a,b\n1/2/15,1,2\n1/3/15,3,4\n",                                       # times rnnkit does not read
    "day,a,b\nMonday,1,2\nTuesday,3,4\n",
    "quarter,a,b\n2010Q1,1,2\n2010Q2,3,4\n",
    "id,value\nA,1\nB,2\n",                                                    # two columns
    "sales\n1\n2\n3\n",                                                        # a plain value column
    "1,2,3\n4,5,6\n",                                                          # no header
    "store,day,sales\nA,1,5\nA,2,6\n",                                          # ids repeated: long form
    "id,a,b\nA,1,x\nB,2,3\n",                                                   # not a number
    "V1,V2,V3\n",                                                               # only a header
])
def test_long_csv_files_are_not_wide(tmp_path, text):
    assert not is_wide_csv(write(tmp_path / "l.csv", text))


@pytest.mark.parametrize("text, message", [
    ('"V1","V2","V3"\n"H1","1","x"\n', r"line 2: value 2 of series 'H1', 'x', is not a number"),
    ('"V1","V2","V3"\n"H1","1","2"\n"H2","",""\n', r"line 3: series 'H2' has no values"),
    ('"V1","V2","V3"\n"H1","1","2"\n"H1","3","4"\n', r"line 3: the id 'H1' is repeated \(first on line 2\)"),
    ('"V1","V2","V3"\n"","1","2"\n', r"line 2: the series has no id"),
    ('"V1","V2","V3"\n', r"w.csv: has no series \(only a header line\)"),
    ("", r"w.csv: is empty"),
])
def test_bad_wide_files_name_the_file_and_line(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_wide_csv(write(tmp_path / "w.csv", text))


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


def test_tsf_monthly_series_starting_at_a_month_end_stay_at_month_ends(tmp_path):
    text = TSF.replace("@frequency yearly", "@frequency monthly").replace("1990-01-01", "1990-02-28")
    a = read_tsf(write(tmp_path / "m.tsf", text), missing="interpolate")[0]
    assert a.times[:3] == [datetime(1990, 2, 28), datetime(1990, 3, 31), datetime(1990, 4, 30)]
    assert a.future(1) == [datetime(1990, 7, 31)]


def test_a_long_csv_holds_one_series_per_id_in_order_of_first_appearance(tmp_path):
    from rnnkit.data.series import read_csv

    path = tmp_path / "long.csv"
    path.write_text("store,month,sales\na,2015-01,10\na,2015-02,12\nb,2016-03,5\na,2015-03,13\nb,2016-04,\n")
    a, b = read_csv(path, id_column="store", missing="mask")
    assert (a.name, a.values, a.lines, b.name, b.lines) == ("a", [10.0, 12.0, 13.0], [2, 3, 5], "b", [4, 6])
    assert [t.month for t in a.times] == [1, 2, 3] and b.times[0].year == 2016 and math.isnan(b.values[1])
    assert [s.name for s in read_csv(path, id_column=0, column=2, time_column=1, missing="mask")] == ["a", "b"]
    with pytest.raises(DataError, match="the id column is also the value column"):
        read_csv(path, id_column="sales", missing="mask")
    path.write_text("store,month,sales\na,2015-01,10\n,2015-02,12\n")
    with pytest.raises(DataError, match=r"long.csv, line 3: the id column names no series"):
        read_csv(path, id_column="store")
    with pytest.raises(DataError, match=r"no column named 'shop' \(columns: store, month, sales\)"):
        read_csv(path, id_column="shop")
