"""`rnnkit train classify --clips`, `classify` and `evaluate` on clips made here (moving blocks as
.npy arrays and as folders of frames), and their bad inputs: one line on stderr, exit status 2."""
import json
import random

import numpy as np
import pytest
from PIL import Image

from rnnkit.cli.main import main
from tests.cli.conftest import fails

FAST = ["--hidden", "16", "--cnn-channels", "4,8", "--image-size", "16", "--batch-size", "8", "--epochs", "3",
        "--lr", "0.01", "--log-every", "5", "--dropout", "0.0"]


def moving_block(direction, rng, frames=6):
    """A 16 x 16 clip of a bright 4 x 4 block moving right or left, one pixel a frame."""
    x0, y = rng.randint(0, 6) if direction == "right" else rng.randint(6, 12), rng.randint(0, 12)
    clip = np.zeros((frames, 16, 16), np.uint8)
    for t in range(frames):
        x = x0 + (t if direction == "right" else -t)
        clip[t, y : y + 4, x : x + 4] = 255
    return clip


def write_clips(root, n, seed, labels="labels.tsv"):
    rng = random.Random(seed)
    lines = ["clip\tlabel"]
    for k in range(n):
        direction = rng.choice(["left", "right"])
        np.save(root / f"c{seed}-{k}.npy", moving_block(direction, rng, frames=rng.randint(4, 7)))
        lines.append(f"c{seed}-{k}.npy\t{direction}")
    (root / labels).write_text("\n".join(lines) + "\n")
    return root / labels


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    write_clips(root, 40, 0, "train.tsv")
    write_clips(root, 12, 1, "test.tsv")
    assert main(["train", "classify", "--clips", str(root), "--labels", str(root / "train.tsv"), "--pooling", "mean",
                 "--out", str(root / "run"), *FAST]) == 0
    return root


def test_training_classifying_and_evaluating_clips(trained, capsys):
    config = json.loads((trained / "run" / "config.json").read_text())
    assert {k: config["data"][k] for k in ("level", "labels", "channels")} == {
        "level": "clips", "labels": ["left", "right"], "channels": 1}
    assert config["data"]["resolved"] == {"cell": "gru", "hidden": 16, "dropout": 0.0, "pooling": "mean",
                                          "deltas": True, "cnn_channels": "4,8", "image_size": "16x16",
                                          "batch_size": 8}   # the given options; the rest the clips' defaults
    assert config["model"]["image_size"] == [16, 16] and config["data"]["training"]["epochs"] == 3
    frames = trained / "frames"
    frames.mkdir()
    for t, frame in enumerate(moving_block("right", random.Random(5))):
        Image.fromarray(frame).save(frames / f"{t}.png")
    capsys.readouterr()
    clips = [str(trained / "c1-0.npy"), str(frames)]
    assert main(["classify", str(trained / "run"), *clips]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [fields[0] for fields in lines] == clips
    assert all(fields[1] in ("left", "right") and 0 < float(fields[2]) <= 1 for fields in lines)
    assert main(["evaluate", str(trained / "run"), "--clips", str(trained), "--labels", str(trained / "test.tsv")]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("accuracy ") and out.out.strip().endswith("nats/example")
    assert (trained / "run" / "plots" / "confusion-test.png").is_file()


def test_bad_clips_are_one_line_errors(trained, tmp_path, capsys):
    np.save(tmp_path / "a.npy", moving_block("left", random.Random(0)))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.tsv").write_text("a.npy\tleft\nempty\tright\n")
    fails(["train", "classify", "--clips", str(tmp_path), "--labels", str(tmp_path / "empty.tsv"), "--out",
            str(tmp_path / "r1"), *FAST], capsys, "empty: the clip has no frames")
    (tmp_path / "unseen.tsv").write_text("a.npy\tjump\n")
    fails(["evaluate", str(trained / "run"), "--clips", str(tmp_path), "--labels", str(tmp_path / "unseen.tsv")],
           capsys, "unseen.tsv, line 1: label 'jump' was not seen in training (known labels: left, right)")
    fails(["train", "classify", "--clips", str(tmp_path), "--out", str(tmp_path / "r2")], capsys,
           "--clips DIR needs --labels FILE")
    fails(["train", "classify", "--clips", str(tmp_path), "--labels", str(tmp_path / "empty.tsv"), "--frame", "2",
            "--out", str(tmp_path / "r3")], capsys, "the option(s) --frame do not apply to them")
    fails(["evaluate", str(trained / "run"), "--test", str(tmp_path / "empty.tsv")], capsys,
           "holds a classifier of clips: give --clips DIR --labels FILE")
    fails(["classify", str(trained / "run"), str(tmp_path / "gone.npy")], capsys, "gone.npy: no such clip")
    fails(["train", "classify", "--out", str(tmp_path / "r4")], capsys, "give the training data: --train FILE")


def test_a_clips_run_without_options_takes_them_from_the_clips(tmp_path, capsys):
    from rnnkit.data.images import native_size
    from rnnkit.tasks.budget import clips_budget

    rng = random.Random(2)
    lines = []
    for k in range(24):   # 24 x 20 frames: read at their own size, never scaled up
        np.save(tmp_path / f"c{k}.npy", np.pad(moving_block(["left", "right"][k % 2], rng), ((0, 0), (2, 2), (4, 4))))
        lines.append(f"c{k}.npy\t{['left', 'right'][k % 2]}")
    (tmp_path / "labels.tsv").write_text("\n".join(lines) + "\n")
    run = tmp_path / "run"
    assert main(["train", "classify", "--clips", str(tmp_path), "--labels", str(tmp_path / "labels.tsv"), "--out",
                 str(run), "--no-deltas", "--max-time", "1", "--seed", "3"]) == 0
    config = json.loads((run / "config.json").read_text())
    resolved = config["data"]["resolved"]
    assert resolved == {"cell": "gru", "hidden": 128, "dropout": 0.2, "pooling": "mean", "deltas": False,
                        "cnn_channels": "16,32,64", "image_size": "24x20", "batch_size": 4}   # 21 training clips
    assert config["model"]["image_size"] == [24, 20]
    assert config["data"]["training"] == clips_budget(6).length(21, type("C", (), {
        "batch_size": 4, "epochs": None, "eval_every": None, "patience": None}))
    assert native_size([(640, 480)]) == (36, 27) and native_size([(4, 4)], least=8) == (8, 8)
    assert "frames a clip" in capsys.readouterr().err
