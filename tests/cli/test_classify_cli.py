"""`rnnkit train classify`, `classify` and `evaluate` end to end, and their bad inputs."""
import json
import random
import shutil

import pytest

from rnnkit.cli.main import main
from rnnkit.training import RunDir

GOOD, BAD, FILLER = ["good", "great", "fine"], ["bad", "awful", "poor"], ["the", "film", "was", "really", "plot"]
FAST = ["--hidden", "16", "--embedding", "16", "--batch-size", "16", "--lr", "0.02", "--log-every", "5",
        "--dropout", "0.1"]


def examples(n, seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        positive = rng.random() < 0.5
        words = rng.sample(FILLER, 3) + [rng.choice(GOOD if positive else BAD)]
        rng.shuffle(words)
        rows.append((" ".join(words), "pos" if positive else "neg"))
    return rows


def write_tsv(path, rows, header=True):
    path.write_text(("sentence\tlabel\n" if header else "") + "".join(f"{t}\t{l}\n" for t, l in rows))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("classify")
    write_tsv(root / "train.tsv", examples(300, 0))
    write_tsv(root / "dev.tsv", examples(60, 1))
    write_tsv(root / "test.tsv", examples(60, 2), header=False)
    assert main(["train", "classify", "--train", str(root / "train.tsv"), "--valid", str(root / "dev.tsv"),
                 "--out", str(root / "run"), "--epochs", "6", *FAST]) == 0
    return root


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_directory_and_accuracy(trained, capsys):
    rd = RunDir(trained / "run")
    config = rd.read_config()
    assert config["task"] == "classify" and config["data"]["labels"] == ["neg", "pos"]
    for path in (rd.model, rd.path / "vocab.json", rd.metrics, rd.plots / "loss.png", rd.plots / "confusion.png"):
        assert path.is_file(), path
    code, out, err = run(["evaluate", str(trained / "run"), "--test", str(trained / "test.tsv"), "--json"], capsys)
    assert code == 0
    metrics = json.loads(out)
    assert metrics["accuracy"] > 0.9 and set(metrics["per_class"]) == {"neg", "pos"}
    assert (rd.plots / "confusion-test.png").is_file()
    code, out, _ = run(["evaluate", str(trained / "run"), "--test", str(trained / "test.tsv")], capsys)
    assert out.startswith("accuracy ") and "macro-F1" in out and out.count("\n") == 1


def test_classify_one_line_per_input_line(trained, tmp_path, capsys):
    (tmp_path / "in.txt").write_text("The film was GOOD!\n\nreally awful plot\n")
    code, out, err = run(["classify", str(trained / "run"), str(tmp_path / "in.txt")], capsys)
    assert code == 0
    lines = out.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == ""
    assert lines[0].split("\t")[0] == "pos" and lines[2].split("\t")[0] == "neg"
    assert 0.5 <= float(lines[0].split("\t")[1]) <= 1
    assert err.strip() == f"warning: {tmp_path / 'in.txt'}: 1 empty line(s) give empty output lines"


def test_explain_gives_a_weight_per_word(trained, tmp_path, capsys):
    (tmp_path / "in.txt").write_text("the plot was great\n")
    code, out, _ = run(["classify", str(trained / "run"), str(tmp_path / "in.txt"), "--explain"], capsys)
    label, p, explained = out.rstrip("\n").split("\t")
    pairs = [w.rsplit(":", 1) for w in explained.split(" ")]
    assert [w for w, _ in pairs] == ["the", "plot", "was", "great"]
    assert abs(sum(float(a) for _, a in pairs) - 1) < 0.01
    assert max(pairs, key=lambda wa: float(wa[1]))[0] == "great"


def test_tsv_input_is_read_like_training(trained, capsys):
    code, out, _ = run(["classify", str(trained / "run"), str(trained / "dev.tsv")], capsys)
    assert code == 0 and len(out.splitlines()) == 60


def test_resume_continues_the_run(trained, tmp_path, capsys):
    args = ["train", "classify", "--train", str(trained / "train.tsv"), "--out", str(tmp_path / "r"), *FAST]
    assert main([*args, "--epochs", "1"]) == 0
    assert main(["train", "classify", "--out", str(tmp_path / "r"), "--resume", "--epochs", "2"]) == 0
    records = [json.loads(l) for l in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    assert max(r["epoch"] for r in records if "valid_accuracy" in r) == 2


@pytest.mark.parametrize("make, message", [
    (lambda d: write_tsv(d / "t.tsv", [("good film", "pos"), ("bad film", "")]), "t.tsv, line 3: no label"),
    (lambda d: (d / "t.tsv").write_text(""), "t.tsv: is empty"),
    (lambda d: write_tsv(d / "t.tsv", [("good film", "pos"), ("   ", "neg")]), "t.tsv, line 3: the text is empty"),
    (lambda d: write_tsv(d / "t.tsv", [("good", "pos"), ("fine", "pos")]), "every example has the label 'pos'"),
    (lambda d: write_tsv(d / "t.tsv", [("good film", "pos"), ("bad film", "x\tneg")]),
     "t.tsv, line 3: 3 tab-separated field(s), but line 1 has 2"),
])
def test_bad_training_input(tmp_path, capsys, make, message):
    make(tmp_path)
    code, _, err = run(["train", "classify", "--train", str(tmp_path / "t.tsv"), "--out", str(tmp_path / "r"),
                        "--epochs", "1"], capsys)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_label_unseen_in_training_is_an_error(trained, tmp_path, capsys):
    write_tsv(tmp_path / "test.tsv", [("good film", "pos"), ("so so", "meh")])
    code, _, err = run(["evaluate", str(trained / "run"), "--test", str(tmp_path / "test.tsv")], capsys)
    assert code == 2 and "test.tsv, line 3: label 'meh' was not seen in training (known labels: neg, pos)" in err


def test_explain_needs_attention(trained, tmp_path, capsys):
    write_tsv(tmp_path / "t.tsv", examples(40, 3))
    assert main(["train", "classify", "--train", str(tmp_path / "t.tsv"), "--out", str(tmp_path / "r"),
                 "--pooling", "last", "--epochs", "1", *FAST]) == 0
    (tmp_path / "in.txt").write_text("good\n")
    code, _, err = run(["classify", str(tmp_path / "r"), str(tmp_path / "in.txt"), "--explain"], capsys)
    assert code == 2 and "--explain needs a model trained with --pooling attention" in err


def test_standard_input(trained, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a great film\nawful\n"))
    code, out, err = run(["classify", str(trained / "run")], capsys)
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["pos", "neg"] and err == ""


def test_training_keeps_stdout_for_results(tmp_path, capsys):
    write_tsv(tmp_path / "t.tsv", examples(60, 4))
    code, out, err = run(["train", "classify", "--train", str(tmp_path / "t.tsv"), "--out", str(tmp_path / "r"),
                          "--epochs", "1", "--eval-every", "2", *FAST], capsys)
    assert code == 0 and out == ""
    assert "step 2: validation loss" in err


def test_confusion_plot_that_cannot_be_written_is_refused_before_the_work(trained, tmp_path, capsys):
    shutil.copytree(trained / "run", tmp_path / "run")
    shutil.rmtree(tmp_path / "run" / "plots")
    (tmp_path / "run" / "plots").write_text("a file where the plots folder should be")
    code, out, err = run(["evaluate", str(tmp_path / "run"), "--test", str(trained / "test.tsv")], capsys)
    assert code == 2 and out == "" and "plots" in err and err.count("\n") == 1 and "Traceback" not in err


def test_text_and_clips_keep_their_defaults_where_recordings_take_them_from_the_data():
    from rnnkit.tasks.classification.config import ClassifierConfig, settled
    from rnnkit.tasks.classification.text import TEXT_DEFAULTS, TEXT_TRAINING

    text = settled(ClassifierConfig(hidden=32), TEXT_DEFAULTS)
    assert (text.cell, text.hidden, text.dropout, text.pooling, text.batch_size) == ("lstm", 32, 0.5, "attention", 64)
    assert TEXT_TRAINING == {"epochs": 8}
