"""`rnnkit train track`, `track` and `evaluate` on clips made here (a block moving in a straight
line, as .npy arrays and a folder of frames, with its positions in a CSV), and their bad inputs:
one line on stderr, exit status 2."""
import csv
import json
import random

import numpy as np
import pytest
from PIL import Image

from rnnkit.cli.main import main
from tests.cli.conftest import fails

FAST = ["--hidden", "16", "--embedding", "8", "--cnn-channels", "4,8", "--image-size", "16", "--batch-size", "8",
        "--epochs", "2", "--horizon", "2", "--log-every", "5"]


def moving_block(rng, frames):
    """A 20 x 12 clip of a bright 3 x 3 block moving at a constant velocity, and its centres."""
    x, y, vx, vy = rng.uniform(2, 15), rng.uniform(2, 8), rng.choice([-1, 1]), rng.choice([-0.5, 0.5])
    clip, centres = np.zeros((frames, 12, 20), np.uint8), []
    for t in range(frames):
        cx, cy = int(round(x + vx * t)) % 18, int(round(y + vy * t)) % 10
        clip[t, cy : cy + 3, cx : cx + 3] = 255
        centres.append((cx + 1, cy + 1))
    return clip, centres


def write_clips(root, n, seed, name):
    rng = random.Random(seed)
    rows = [("clip", "frame", "x", "y")]
    for k in range(n):
        clip, centres = moving_block(rng, rng.randint(5, 8))
        np.save(root / f"c{seed}-{k}.npy", clip)
        rows += [(f"c{seed}-{k}.npy", t, x, y) for t, (x, y) in enumerate(centres)]
    with open(root / name, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return root / name


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("track")
    write_clips(root, 24, 0, "train.csv")
    write_clips(root, 8, 1, "test.csv")
    assert main(["train", "track", "--clips", str(root), "--positions", str(root / "train.csv"), "--valid-positions",
                 str(root / "test.csv"), "--out", str(root / "run"), *FAST]) == 0
    return root


def test_training_tracking_and_evaluating(trained, capsys):
    config = json.loads((trained / "run" / "config.json").read_text())
    assert config["task"] == "track" and config["data"]["channels"] == 1
    assert config["data"]["resolved"] == {"image_size": "16x16", "cnn_channels": "4,8", "batch_size": 8}
    assert config["model"]["horizon"] == 2 and config["model"]["image_size"] == [16, 16]
    frames = trained / "frames"
    frames.mkdir()
    clip, _ = moving_block(random.Random(3), 6)
    for t, frame in enumerate(clip):
        Image.fromarray(frame).save(frames / f"{t}.png")
    capsys.readouterr()
    assert main(["track", str(trained / "run"), str(trained / "c1-0.npy"), str(frames), "--plot",
                 str(trained / "paths")]) == 0
    out = capsys.readouterr()
    rows = list(csv.reader(out.out.splitlines()))
    length = len(np.load(trained / "c1-0.npy"))
    assert rows[0] == ["clip", "frame", "x", "y"] and len(rows) == 1 + 2 * 2
    assert [r[:2] for r in rows[1:3]] == [[str(trained / "c1-0.npy"), str(length)],
                                          [str(trained / "c1-0.npy"), str(length + 1)]]
    assert [r[:2] for r in rows[3:]] == [[str(frames), "6"], [str(frames), "7"]]
    assert all(-20 < float(r[2]) < 40 and -20 < float(r[3]) < 30 for r in rows[1:])
    assert sorted(p.name for p in (trained / "paths").iterdir()) == ["001-c1-0.png", "002-frames.png"]
    assert main(["track", str(trained / "run"), str(frames), "--plot", str(trained / "one.png")]) == 0
    assert (trained / "one.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["evaluate", str(trained / "run"), "--clips", str(trained), "--positions",
                 str(trained / "test.csv")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("next 2: error ") and "constant velocity " in line and "last position " in line
    windows = int(line.rsplit(" ", 1)[1])
    lengths = [len(np.load(trained / f"c1-{k}.npy")) for k in range(8)]
    assert windows == sum(n - 3 for n in lengths)      # frames 1 .. T-3 of each clip


def test_bad_track_input_is_one_line(trained, tmp_path, capsys):
    np.save(tmp_path / "a.npy", moving_block(random.Random(0), 5)[0])
    (tmp_path / "empty").mkdir()
    (tmp_path / "past.csv").write_text("a.npy,0,1,1\na.npy,5,1,1\n")
    args = ["train", "track", "--clips", str(tmp_path), "--out", str(tmp_path / "r")]
    fails([*args, "--positions", str(tmp_path / "past.csv"), *FAST], capsys,
          "past.csv, line 2: frame 5 is not a frame of 'a.npy', which has 5 (frames count from 0 to 4)")
    (tmp_path / "empty.csv").write_text("empty,0,1,1\n")
    fails([*args, "--positions", str(tmp_path / "empty.csv"), *FAST], capsys, "empty: the clip has no frames")
    (tmp_path / "short.csv").write_text("a.npy,0,1,1\na.npy,1,2,1\n")
    fails([*args, "--positions", str(tmp_path / "short.csv"), "--valid-positions", str(tmp_path / "short.csv"),
           *FAST], capsys, "no validation clip has a frame with known positions")
    fails(["track", str(trained / "run"), str(tmp_path / "gone.npy")], capsys, "gone.npy: no such clip")
    fails(["train", "track", "--clips", str(tmp_path), "--out", str(tmp_path / "r2")], capsys, "--positions")


def test_a_tracking_run_without_options_takes_them_from_the_clips(tmp_path):
    write_clips(tmp_path, 30, 0, "train.csv")
    run = tmp_path / "run"
    assert main(["train", "track", "--clips", str(tmp_path), "--positions", str(tmp_path / "train.csv"), "--out",
                 str(run), "--horizon", "2", "--hidden", "8", "--max-time", "1"]) == 0
    data = json.loads((run / "config.json").read_text())["data"]
    assert data["resolved"] == {"image_size": "20x12", "cnn_channels": "16,32,64", "batch_size": 4}   # 27 clips
    assert data["training"]["epochs"] == 300 and data["training"]["patience"] == 10   # a small set: read often
