"""`rnnkit train classify` on recordings (.ts and long-form .csv), `classify` and `evaluate` end to
end on recordings made here, and their bad inputs: one line on stderr, exit status 2."""
import dataclasses
import json
import math
import random

import pytest

from rnnkit.cli.main import main
from tests.cli.conftest import fails

FAST = ["--hidden", "16", "--batch-size", "8", "--epochs", "4", "--lr", "0.01", "--log-every", "5", "--dropout", "0.0"]
HEAD = "@problemName Toy\n@timeStamps false\n@missing true\n@univariate false\n@dimensions 2\n" \
       "@equalLength false\n@classLabel true rise fall flat\n@data\n"


def case(label, rng):
    T = rng.randint(6, 14)
    slope = {"rise": 1.0, "fall": -1.0, "flat": 0.0}[label]
    a = [f"{10 + slope * t + rng.gauss(0, 0.2):.3f}" for t in range(T)]
    b = [f"{math.sin(t) + rng.gauss(0, 0.2):.3f}" if t != 3 else "?" for t in range(T)]
    return f"{','.join(a)}:{','.join(b)}:{label}\n"


def write_ts(path, n, seed, head=HEAD):
    rng = random.Random(seed)
    path.write_text(head + "".join(case(rng.choice(["rise", "fall", "flat"]), rng) for _ in range(n)))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("recordings")
    write_ts(root / "train.ts", 90, 0)
    write_ts(root / "test.ts", 30, 1)
    assert main(["train", "classify", "--train", str(root / "train.ts"), "--out", str(root / "run"), *FAST]) == 0
    return root


def test_training_classifying_and_evaluating_recordings(trained, capsys):
    config = json.loads((trained / "run" / "config.json").read_text())
    data = config["data"]
    assert {k: data[k] for k in ("level", "labels", "channels")} == {
        "level": "recordings", "labels": ["rise", "fall", "flat"], "channels": 2}
    assert data["resolved"] == {"cell": "gru", "hidden": 16, "dropout": 0.0, "pooling": "mean", "batch_size": 8,
                                "frame": 1, "normalize": "case", "deltas": False}   # given options; the rest from data
    assert data["training"]["epochs"] == 4
    assert config["model"]["features"] == 2 and not (trained / "run" / "vocab.json").exists()
    assert main(["classify", str(trained / "run"), str(trained / "test.ts")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 30
    for line in lines:
        label, p = line.split("\t")
        assert label in ("rise", "fall", "flat") and 0 < float(p) <= 1
    assert main(["evaluate", str(trained / "run"), "--test", str(trained / "test.ts")]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("accuracy ") and "macro-F1" in out.out and out.out.strip().endswith("nats/example")
    assert "confusion-test.png" in out.err
    assert (trained / "run" / "plots" / "confusion-test.png").stat().st_size > 1000


def test_the_defaults_of_recordings_follow_their_count_and_length():
    from rnnkit.tasks.classification.config import FRAME_STEPS, ClassifierConfig
    from rnnkit.tasks.classification.recordings import MAX_EPOCHS, MIN_STEPS, BUDGET, defaults_for

    small, large = defaults_for(20, 150), defaults_for(4000, 7 * FRAME_STEPS)
    assert small["batch_size"] == 4 and large["batch_size"] == 32
    assert small["frame"] == 1 and large["frame"] == 7 and small["normalize"] == "case"
    assert BUDGET.length(20, ClassifierConfig(batch_size=4))["epochs"] == MAX_EPOCHS   # a small set: read often
    assert BUDGET.length(400, ClassifierConfig(batch_size=32))["epochs"] == 150        # 60,000 cases
    assert BUDGET.length(40_000, ClassifierConfig(batch_size=32))["epochs"] * 1250 >= MIN_STEPS
    given = BUDGET.length(20, ClassifierConfig(batch_size=4, epochs=3, eval_every=2, patience=1))
    assert given == {"epochs": 3, "max_steps": None, "eval_every": 2, "patience": 1}


def test_a_recordings_run_without_options_takes_them_from_the_data(tmp_path, capsys):
    write_ts(tmp_path / "train.ts", 50, 7)
    run = tmp_path / "run"
    assert main(["train", "classify", "--train", str(tmp_path / "train.ts"), "--out", str(run), "--epochs", "2"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["resolved"] == {"cell": "gru", "hidden": 64, "dropout": 0.2, "pooling": "mean",
                                          "batch_size": 5, "frame": 1, "normalize": "case",
                                          "deltas": False}   # 40 cases: 20% held
    assert config["model"]["hidden_size"] == 64 and config["model"]["pooling"] == "mean"
    assert "GRU classifier of recordings (mean pooling)" in capsys.readouterr().err


def test_few_cases_per_class_choose_the_length_by_cross_validation_then_train_on_all(tmp_path, capsys, monkeypatch):
    from rnnkit.tasks.cross_validation import folds_for

    from rnnkit.tasks.classification.recordings import BUDGET

    monkeypatch.setattr("rnnkit.tasks.classification.recordings.BUDGET", dataclasses.replace(BUDGET, max_epochs=60))   # for speed

    assert folds_for([0, 0, 1, 1, 2, 2]) == 2 and folds_for([0] * 4 + [1] * 4) == 4 and folds_for([0] * 5 + [1] * 5) is None
    assert folds_for([0, 1, 2, 2]) is None                             # one of each: nothing to validate on
    rng = random.Random(3)
    (tmp_path / "train.ts").write_text(HEAD + "".join(case(label, rng) for label in ["rise", "fall", "flat"] * 2))
    run = tmp_path / "run"
    assert main(["train", "classify", "--train", str(tmp_path / "train.ts"), "--out", str(run), "--hidden", "8",
                 "--max-time", "300"]) == 0
    data = json.loads((run / "config.json").read_text())["data"]
    chosen = data["cross_validation"]
    assert chosen["folds"] == 2 and len(chosen["curve"]) == 60
    best = max(chosen["curve"], key=lambda m: (m["score"], -m["loss"]))     # the first of equals
    assert chosen["passes"] == best["passes"]
    assert data["training"] == {"epochs": math.ceil(data["training"]["max_steps"] / 2),
                                "max_steps": max(1, round(chosen["passes"] * 2)), "max_time": 100.0}   # 6 at batch 4
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records and not any("valid_loss" in r for r in records)
    out = capsys.readouterr()
    assert "2-fold cross-validation chose" in out.err
    assert f"stopped after {data['training']['max_steps']} steps" in out.err and "no validation data" in out.err


def test_long_form_csv_trains_too(tmp_path):
    rng = random.Random(2)
    rows = ["case,step,a,b,label"]
    for k in range(40):
        label = rng.choice(["rise", "fall"])
        for t in range(8):
            a = (1 if label == "rise" else -1) * t + rng.gauss(0, 0.2)
            rows.append(f"c{k},{t},{a:.3f},{rng.random():.3f},{label}")
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    assert main(["train", "classify", "--train", str(tmp_path / "train.csv"), "--out", str(tmp_path / "run"),
                 *FAST]) == 0


def write_ucr(path, n, seed, separator):
    """UCR's text format: a numeric label (as the 2015 archive writes it), then the values."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        label = rng.choice([1, 2])
        values = [(1 if label == 1 else -1) * t + rng.gauss(0, 0.2) for t in range(10)]
        lines.append(separator.join(f"{v:.7e}" for v in [label, *values]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ucr_text_files_train_classify_and_evaluate(tmp_path, capsys):
    train, test = write_ucr(tmp_path / "Toy_TRAIN.txt", 40, 4, "  "), write_ucr(tmp_path / "Toy_TEST.tsv", 12, 5, "\t")
    run = tmp_path / "run"
    assert main(["train", "classify", "--train", str(train), "--out", str(run), *FAST]) == 0
    assert json.loads((run / "config.json").read_text())["data"]["labels"] == ["1", "2"]
    capsys.readouterr()
    assert main(["classify", str(run), str(test)]) == 0
    assert {line.split("\t")[0] for line in capsys.readouterr().out.splitlines()} <= {"1", "2"}
    assert main(["evaluate", str(run), "--test", str(test)]) == 0
    assert capsys.readouterr().out.startswith("accuracy ")


def test_format_overrides_what_a_file_looks_like(tmp_path, capsys):
    train = write_ucr(tmp_path / "t.tsv", 2, 6, "\t")
    text = tmp_path / "t.txt"
    text.write_text(train.read_text())
    fails(["train", "classify", "--train", str(train), "--format", "ts", "--out", str(tmp_path / "a"), *FAST], capsys,
          "t.tsv, line 1:")
    fails(["train", "classify", "--clips", str(tmp_path), "--labels", str(text), "--format", "ucr",
           "--out", str(tmp_path / "b"), *FAST], capsys, "--format do not apply")


def test_numbers_with_a_label_a_line_ask_for_the_format(tmp_path, capsys):
    rng = random.Random(7)   # one recording of each of 6 classes: UCR's labels, but they do not repeat
    (tmp_path / "one_each.txt").write_text("".join(f"{k}\t" + "\t".join(f"{rng.gauss(0, 1):.4f}" for _ in range(8)) + "\n"
                                                   for k in range(1, 7)))
    fails(["train", "classify", "--train", str(tmp_path / "one_each.txt"), "--out", str(tmp_path / "run"), *FAST],
          capsys, "takes 6 distinct values in 6 lines, too many for labels to be read as UCR's without being told; "
          "give --format ucr")


def test_deltas_and_frames_are_kept_with_the_run(tmp_path, capsys):
    write_ts(tmp_path / "train.ts", 40, 3)
    run = tmp_path / "run"
    assert main(["train", "classify", "--train", str(tmp_path / "train.ts"), "--out", str(run), "--deltas",
                 "--frame", "2", *FAST]) == 0
    model = json.loads((run / "config.json").read_text())["model"]
    assert model["deltas"] is True and model["frame"] == 2
    capsys.readouterr()
    assert main(["classify", str(run), str(tmp_path / "train.ts")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 40


def test_bad_recordings_are_one_line_errors(trained, tmp_path, capsys):
    bad = tmp_path / "bad.ts"
    bad.write_text(HEAD + "1,2,3:4,5,6:rise\n1,2,x:4,5,6:fall\n")
    fails(["train", "classify", "--train", str(bad), "--out", str(tmp_path / "a")], capsys,
           "bad.ts, line 10: 'x' (dimension 1) is not a number")
    uneven = tmp_path / "uneven.ts"
    uneven.write_text(HEAD + "1,2,3:4,5,6:rise\n1,2,3:fall\n")
    fails(["train", "classify", "--train", str(uneven), "--out", str(tmp_path / "b")], capsys,
           "uneven.ts, line 10: 1 dimension(s), expected 2")
    three = tmp_path / "three.ts"
    three.write_text(HEAD.replace("@dimensions 2", "@dimensions 3") + "1,2:3,4:5,6:rise\n")
    fails(["evaluate", str(trained / "run"), "--test", str(three)], capsys,
           "three.ts: the recordings have 3 channel(s), the model was trained on 2")
    unseen = tmp_path / "unseen.ts"
    unseen.write_text(HEAD.replace("rise fall flat", "rise fall flat jump") + "1,2,3:4,5,6:jump\n")
    fails(["evaluate", str(trained / "run"), "--test", str(unseen)], capsys,
           "unseen.ts, line 9: label 'jump' was not seen in training (known labels: rise, fall, flat)")
    empty = tmp_path / "empty.ts"
    empty.write_text("")
    fails(["train", "classify", "--train", str(empty), "--out", str(tmp_path / "c")], capsys, "empty.ts: is empty")
    fails(["train", "classify", "--train", str(trained / "train.ts"), "--min-freq", "2", "--out",
            str(tmp_path / "d")], capsys, "the text option(s) --min-freq do not apply to them")
    words = tmp_path / "words.tsv"
    words.write_text("good film\tpos\nbad film\tneg\n")
    fails(["train", "classify", "--train", str(words), "--deltas", "--out", str(tmp_path / "e")], capsys,
           "holds text; the option(s) --deltas apply to recordings")
    fails(["train", "classify", "--train", str(trained / "train.ts"), "--frame", "0", "--out",
            str(tmp_path / "f")], capsys, "--frame")
    fails(["classify", str(trained / "run"), str(words)], capsys,
          "words.tsv: is not recordings this classifier can read")
