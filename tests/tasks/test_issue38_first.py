"""Issue 38's first defects: an --image-size the frame CNN halves to nothing is one clear error (no
traceback), and outputs go into folders that do not exist yet, made as `train --out` makes its."""
import math

import numpy as np
import pytest

import rnnkit
from rnnkit.cli.main import main
from rnnkit.errors import RnnkitError

CLIPS = [np.full((4, 8, 8), 40 * k, dtype=np.uint8) for k in range(6)]


@pytest.mark.parametrize("task, data, size, shown", [
    ("caption", ([np.zeros((8, 8), np.uint8)] * 6, ["a dark square"] * 6), "1", "1x1"),
    ("classify", (CLIPS, ["a", "b"] * 3), "4", "4x4"),
    ("track", (CLIPS, [np.zeros((4, 2))] * 6), "2", "2x2"),
])
def test_an_image_size_the_cnn_halves_to_nothing_is_refused(task, data, size, shown):
    with pytest.raises(RnnkitError, match=rf"--image-size {shown}: the frame CNN's 3 blocks each halve the image, so "
                                          r"it needs at least 8 pixels a side"):
        rnnkit.train(task, data, image_size=size, epochs=1)


def test_the_command_line_says_it_in_one_line(tmp_path, capsys):
    folder = tmp_path / "clips"
    folder.mkdir()
    for k, clip in enumerate(CLIPS):
        np.save(folder / f"c{k}.npy", clip)
    (tmp_path / "labels.tsv").write_text("".join(f"c{k}.npy\t{'ab'[k % 2]}\n" for k in range(6)))
    assert main(["train", "classify", "--clips", str(folder), "--labels", str(tmp_path / "labels.tsv"),
                 "--image-size", "4", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--image-size 4x4" in err


def test_forecast_outputs_go_into_folders_made_for_them(tmp_path):
    values = [100 + k + 10 * math.sin(k * math.pi / 6) for k in range(60)]
    rnnkit.train("forecast", values, out=tmp_path / "run", horizon=3, hidden=4, epochs=1)
    series = tmp_path / "run" / "data" / "series.csv"
    assert main(["forecast", str(tmp_path / "run"), "--csv", str(series), "--output", str(tmp_path / "a" / "b.csv"),
                 "--plot", str(tmp_path / "c" / "d" / "e.png")]) == 0
    assert (tmp_path / "a" / "b.csv").read_text().startswith("step,forecast")
    assert (tmp_path / "c" / "d" / "e.png").stat().st_size > 0


def test_compose_writes_midi_only_and_into_a_folder_made_for_it(tmp_path, capsys):
    music21 = pytest.importorskip("music21")
    stream = music21.stream.Stream([music21.meter.TimeSignature("4/4")])
    stream.append([music21.note.Note(n, quarterLength=1) for n in "C4 D4 E4 F4 G4 E4 C4 D4".split() * 2])
    rnnkit.train("melody", [stream] * 4, out=tmp_path / "run", epochs=1)
    base = ["compose", str(tmp_path / "run"), "--start", "C4", "--notes", "4"]
    assert main([*base, "--output", str(tmp_path / "song.txt")]) == 2
    assert "'" + str(tmp_path / "song.txt") + "' does not end in .mid or .midi" in capsys.readouterr().err
    assert main([*base, "--output", str(tmp_path / "new" / "song.mid")]) == 0
    assert (tmp_path / "new" / "song.mid").read_bytes()[:4] == b"MThd"


def test_options_that_do_not_apply_are_refused_not_ignored(tmp_path, capsys):
    x = np.random.default_rng(0).normal(size=(8, 10, 1))
    rnnkit.train("classify", (x, ["a", "b"] * 4), out=tmp_path / "rec", epochs=1, hidden=4)
    rows = "case,step,v,label\n" + "".join(f"0,{t},{v!r},a\n" for t, v in enumerate(x[0, :, 0].tolist()))
    (tmp_path / "rec.csv").write_text(rows)
    assert main(["classify", str(tmp_path / "rec"), str(tmp_path / "rec.csv"), "--explain"]) == 2
    assert "--explain shows the attention over the words of a text" in capsys.readouterr().err
    assert main(["train", "longrange", "--problem", "adding", "--length", "10", "--images", "x.idx", "--out",
                 str(tmp_path / "lr")]) == 2
    assert "--images and --labels are the digits problems' data" in capsys.readouterr().err


def test_evaluate_of_a_run_that_scores_its_own_test_data_says_so(tmp_path, capsys):
    rnnkit.train("longrange", out=tmp_path / "lr", problem="adding", length=10, epoch_size=16, test_size=16,
                 hidden=4, epochs=1)
    assert main(["evaluate", str(tmp_path / "lr"), "--csv", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert "scores on its own test data; give no --csv" in err and "give  instead" not in err


def test_an_all_nan_clip_is_refused(tmp_path):
    from rnnkit.data.clips import ClipFolder
    from rnnkit.errors import DataError

    np.save(tmp_path / "nan.npy", np.full((3, 8, 8), np.nan))
    with pytest.raises(DataError, match="nan.npy: every value of the clip is NaN"):
        ClipFolder(tmp_path, (8, 8), 1).read("nan.npy")


def test_evaluate_warns_that_a_final_run_trained_on_what_it_scores(tmp_path):
    values = [100 + k + 10 * math.sin(k * math.pi / 6) for k in range(60)]
    model = rnnkit.train("forecast", values, out=tmp_path / "run", horizon=3, hidden=4, epochs=1, final=True)
    with pytest.warns(UserWarning, match="was trained with --final, on the values these figures hold out too"):
        model.evaluate(values)


def test_misleading_reader_messages_say_what_is_wrong(tmp_path):
    from rnnkit.data.clips import ClipFolder
    from rnnkit.data.images import ImageFolder
    from rnnkit.errors import DataError

    (tmp_path / "notes.npy").write_text("just text")
    with pytest.raises(DataError, match="notes.npy: not a .npy file"):
        ClipFolder(tmp_path, (8, 8), 1).read("notes.npy")
    (tmp_path / "clips").mkdir()
    np.save(tmp_path / "clips" / "a.npy", np.zeros((2, 8, 8), np.uint8))
    with pytest.raises(DataError, match="clips: a folder of clips, not a clip"):
        ClipFolder(tmp_path, (8, 8), 1).read("clips")
    with pytest.raises(DataError, match="clips: is a folder; give image files"):
        ImageFolder(tmp_path, (8, 8), 1).read("clips")


def test_a_position_far_outside_the_frame_is_refused(tmp_path):
    from rnnkit.data.clips import ClipFolder
    from rnnkit.data.positions import read_positions
    from rnnkit.errors import DataError

    np.save(tmp_path / "c.npy", np.zeros((3, 16, 16), np.uint8))
    (tmp_path / "p.csv").write_text("clip,frame,x,y\nc.npy,0,3,4\nc.npy,1,-5,20\nc.npy,2,5,1e9\n")
    with pytest.raises(DataError, match=r"p.csv, line 4: \(5, 1e9\) is far outside 'c.npy', whose frames are 16x16"):
        read_positions(tmp_path / "p.csv", ClipFolder(tmp_path, (16, 16), 1))
    (tmp_path / "p.csv").write_text("clip,frame,x,y\nc.npy,0,3,4\nc.npy,1,-5,20\nc.npy,2,nan,\n")
    assert read_positions(tmp_path / "p.csv", ClipFolder(tmp_path, (16, 16), 1)).track("c.npy", 3)[2].isnan().all()
