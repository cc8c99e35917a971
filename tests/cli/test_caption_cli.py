"""`rnnkit train caption`, `rnnkit caption` and `rnnkit evaluate` on images made here (PNG files and
an IDX file), and the bad inputs: one line on stderr, exit status 2."""
import json
import random

import numpy as np
import pytest
from PIL import Image

from rnnkit.cli.main import main
from rnnkit.data import write_idx
from rnnkit.tasks import TASKS, Training
from tests.cli.conftest import fails

FAST = ["--hidden", "24", "--embedding", "8", "--cnn-channels", "8,8", "--image-size", "24x12", "--batch-size", "16",
        "--epochs", "3", "--lr", "0.01", "--log-every", "5", "--dropout", "0.0"]


def scene(rng):
    """A 24 x 12 picture with a bright block on the left, the right or both halves."""
    where = rng.choice(["left", "right", "left right"])
    pixels = np.zeros((12, 24), np.uint8)
    for side in where.split():
        x = rng.randint(1, 5) + (0 if side == "left" else 12)
        pixels[2:10, x : x + 5] = 255
    return pixels, f"a block {where}"


def write_scenes(folder, n, seed, captions="captions.tsv"):
    rng = random.Random(seed)
    lines = ["image\tcaption"]
    for k in range(n):
        pixels, text = scene(rng)
        Image.fromarray(pixels).save(folder / f"s{seed}-{k}.png")
        lines += [f"s{seed}-{k}.png\t{text}", f"s{seed}-{k}.png\t{text}  "]   # two references, spacing aside
    (folder / captions).write_text("\n".join(lines) + "\n")
    return folder / captions


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("caption")
    (root / "images").mkdir()
    write_scenes(root / "images", 40, 0, "../train.tsv")
    write_scenes(root / "images", 10, 1, "../test.tsv")
    assert main(["train", "caption", "--images", str(root / "images"), "--captions", str(root / "train.tsv"),
                 "--attention", "general", "--out", str(root / "run"), *FAST]) == 0
    return root


def test_training_captioning_and_evaluating(trained, capsys):
    config = json.loads((trained / "run" / "config.json").read_text())
    assert config["model"]["image_size"] == [24, 12] and config["model"]["image_channels"] == 1
    assert (trained / "run" / "vocab.json").is_file()
    capsys.readouterr()
    images = [str(trained / "images" / f"s1-{k}.png") for k in range(3)]
    assert main(["caption", str(trained / "run"), *images, "--beam", "2", "--attention-map",
                 str(trained / "maps")]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert [line.split("\t")[0] for line in lines] == images
    assert all(line.split("\t")[1].split()[:1] in ([], ["a"], ["block"], ["left"], ["right"]) for line in lines)
    maps = sorted((trained / "maps").glob("*.png"))
    assert len(maps) == 3 and all(m.stat().st_size > 1000 for m in maps) and "attention map" in out.err
    assert main(["evaluate", str(trained / "run"), "--images", str(trained / "images"), "--captions",
                 str(trained / "test.tsv"), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert 0 <= metrics["bleu"] <= 100 and 0 <= metrics["exact"] <= 1 and metrics["images"] == 10
    assert main(["evaluate", str(trained / "run"), "--images", str(trained / "images"), "--captions",
                 str(trained / "test.tsv"), "--beam", "1"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("BLEU-4 ") and "  exact " in line and len(line.split("exact ")[1]) == 6


def test_training_batches_mix_caption_lengths(trained, tmp_path):
    """Not bucketed by caption length: with BatchNorm in the CNN, batches of one length would tell
    the network the length (here: one block or two) through the batch statistics in training,
    which evaluation's running statistics do not."""
    training = Training(TASKS["caption"], {"images": str(trained / "images"), "captions": str(trained / "train.tsv"),
                                           "out": str(tmp_path / "run"), "batch_size": 16})
    lengths = [set((tgt_out != 0).sum(0).tolist()) for _, _, tgt_out in training.prepared.batches(0)]
    assert set().union(*lengths) == {4, 5}            # "a block left <eos>" and "a block left right <eos>"
    assert sum(len(one) == 2 for one in lengths) > 1   # by length, only the batch across the boundary


def test_idx_images_and_colour_pngs_train_too(tmp_path):
    rng = random.Random(3)
    pictures, lines = [], []
    for k in range(24):
        pixels, text = scene(rng)
        pictures.append(pixels)
        lines.append(f"scenes-idx3-ubyte#{k}\t{text}")
    write_idx(tmp_path / "scenes-idx3-ubyte", np.stack(pictures))
    (tmp_path / "idx.tsv").write_text("\n".join(lines) + "\n")
    assert main(["train", "caption", "--images", str(tmp_path), "--captions", str(tmp_path / "idx.tsv"),
                 "--out", str(tmp_path / "run"), *FAST, "--epochs", "1"]) == 0
    Image.new("RGB", (24, 12), (200, 30, 30)).save(tmp_path / "red.png")
    (tmp_path / "colour.tsv").write_text("\n".join(lines[:10] + ["red.png\ta red picture"]) + "\n")
    assert main(["train", "caption", "--images", str(tmp_path), "--captions", str(tmp_path / "colour.tsv"),
                 "--out", str(tmp_path / "colour"), *FAST, "--epochs", "1", "--elastic", "1.5"]) == 0
    config = json.loads((tmp_path / "colour" / "config.json").read_text())
    assert config["data"]["channels"] == 3 and config["model"]["elastic"] == 1.5


def test_bad_images_and_captions_are_one_line_errors(trained, tmp_path, capsys):
    images = trained / "images"
    train = ["train", "caption", "--images", str(images), "--out", str(tmp_path / "x"), "--captions"]
    (tmp_path / "missing.tsv").write_text("s0-0.png\ta block left\nnot-there.png\ta block\n")
    fails([*train, str(tmp_path / "missing.tsv")], capsys, "missing.tsv, line 2: image 'not-there.png' is not under")
    (tmp_path / "empty.tsv").write_text("s0-0.png\ta block left\ns0-1.png\t \n")
    fails([*train, str(tmp_path / "empty.tsv")], capsys, "empty.tsv, line 2: the caption of 's0-1.png' is empty")
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (tmp_path / "broken.tsv").write_text("s0-0.png\ta block left\nbroken.png\ta block\n")
    fails([*train, str(tmp_path / "broken.tsv")], capsys, "broken.png: not an image Pillow can read")
    (images / "notes.txt").write_text("plain text, not a picture\n")
    (tmp_path / "format.tsv").write_text("notes.txt\ta block\n")
    fails([*train, str(tmp_path / "format.tsv")], capsys, "notes.txt: not an image Pillow can read")
    fails(["caption", str(trained / "run"), str(tmp_path / "gone.png")], capsys, "gone.png: no such image")
    fails(["evaluate", str(trained / "run"), "--test", str(tmp_path / "empty.tsv")], capsys,
           "give --images DIR --captions FILE instead of --test")
    fails([*train, str(tmp_path / "empty.tsv"), "--image-size", "0x3"], capsys, "--image-size")
    fails([*train, str(tmp_path / "empty.tsv"), "--elastic", "-1"], capsys, "--elastic")
    fails([*train, str(tmp_path / "empty.tsv"), "--elastic-sigma", "0"], capsys, "--elastic-sigma")


def test_a_captioning_run_without_options_takes_them_from_the_images(tmp_path):
    from rnnkit.tasks.captioning.config import BUDGET

    (tmp_path / "images").mkdir()
    write_scenes(tmp_path / "images", 30, 0)
    run = tmp_path / "run"
    assert main(["train", "caption", "--images", str(tmp_path / "images"), "--captions",
                 str(tmp_path / "images" / "captions.tsv"), "--out", str(run), "--hidden", "8", "--max-time", "1"]) == 0
    config = json.loads((run / "config.json").read_text())
    data = config["data"]
    assert data["resolved"] == {"image_size": "24x12", "batch_size": 6}   # its own size; 27 images, 54 captions
    assert config["model"]["image_size"] == [24, 12]
    assert data["training"] == BUDGET.length(54, type("C", (), {"batch_size": 6, "epochs": None, "eval_every": None,
                                                                 "patience": None}))
    assert data["training"]["epochs"] == 300 and data["training"]["patience"] == 5   # a small set: read often
