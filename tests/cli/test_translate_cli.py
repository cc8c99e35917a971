"""`rnnkit train translate`, `translate`, `attention` and `evaluate --src --ref` end to end, and
their bad inputs."""
import io
import json
import random

from pathlib import Path

import pytest

from rnnkit.cli.main import main
from rnnkit.data import SubwordTokenizer
from rnnkit import load
from rnnkit.training import RunDir

ADJ = {"kleine": "small", "große": "big", "rote": "red", "alte": "old", "junge": "young", "blaue": "blue"}
NOUN = {"Katze": "cat", "Frau": "woman", "Kuh": "cow", "Ente": "duck", "Maus": "mouse", "Ziege": "goat"}
VERB = {"läuft": "runs", "schläft": "sleeps", "springt": "jumps", "singt": "sings", "isst": "eats"}
FAST = ["--hidden", "64", "--embedding", "32", "--batch-size", "16", "--lr", "0.01", "--dropout", "0.1",
        "--log-every", "10"]


def corpus(n, seed):
    """German-like sources and their English translations, cased and punctuated:
    "Eine kleine Katze schläft." -> "A small cat sleeps." """
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        a, noun, v = rng.choice(list(ADJ)), rng.choice(list(NOUN)), rng.choice(list(VERB))
        pairs.append((f"Eine {a} {noun} {v}.", f"A {ADJ[a]} {NOUN[noun]} {VERB[v]}."))
    return pairs


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def files(root, name, pairs):
    return write(root / f"{name}.de", [s for s, _ in pairs]), write(root / f"{name}.en", [t for _, t in pairs])


def run(args, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("translate")
    src, tgt = files(root, "train", corpus(400, 0))
    vsrc, vtgt = files(root, "valid", corpus(40, 1))
    files(root, "test", corpus(40, 2))
    assert main(["train", "translate", "--src", src, "--tgt", tgt, "--valid-src", vsrc, "--valid-tgt", vtgt,
                 "--tokenizer", "word", "--min-freq", "1", "--out", str(root / "run"), "--epochs", "12", *FAST]) == 0
    return root


def test_run_directory_has_one_vocabulary_per_side(trained):
    run = RunDir(trained / "run")
    config = run.read_config()
    assert config["task"] == "translate" and config["data"] == {"tokenizer": "word", "max_length": 100}
    assert (run.path / "vocab.src.json").is_file() and (run.path / "vocab.tgt.json").is_file() and run.model.is_file()
    assert not (run.path / "subword.src.model").exists() and (run.plots / "loss.png").is_file()
    model = load(run.path)
    assert "Katze" in model.src_vocab and "cat" in model.tgt_vocab and "Katze" not in model.tgt_vocab
    records = run.read_metrics()
    assert any("valid_bleu" in r for r in records)


def test_it_learns_to_translate(trained, capsys):
    code, out, _ = run(["evaluate", str(trained / "run"), "--src", str(trained / "test.de"), "--ref",
                        str(trained / "test.en"), "--json", "--output", str(trained / "hyp.en")], capsys)
    metrics = json.loads(out)
    assert code == 0 and metrics["beam"] == 5 and metrics["sentences"] == 40 and metrics["sentences_per_s"] > 0
    assert metrics["bleu"] > 50 and metrics["bleu_lowercase"] >= metrics["bleu"] and metrics["chrf"] > 60, metrics
    hypotheses = (trained / "hyp.en").read_text().split("\n")
    assert len(hypotheses) == 41 and hypotheses[-1] == "" and hypotheses[0].startswith("A ")
    code, out, _ = run(["evaluate", str(trained / "run"), "--src", str(trained / "test.de"), "--ref",
                        str(trained / "test.en"), "--beam", "1"], capsys)
    assert code == 0 and out.startswith("BLEU ") and "sentences/s (beam 1)" in out


def test_translate_gives_one_line_per_line(trained, capsys, monkeypatch):
    text = "Eine kleine Katze schläft.\n\nEine alte Kuh singt.\n"
    code, out, _ = run(["translate", str(trained / "run"), "--beam", "3"], capsys, stdin=text, monkeypatch=monkeypatch)
    lines = out.split("\n")
    assert code == 0 and len(lines) == 4 and lines[1] == "" and lines[3] == ""
    assert lines[0].startswith("A ") and lines[0].endswith(".") and " ." not in lines[0]   # detokenised, cased
    code, again, _ = run(["translate", str(trained / "run"), write(trained / "in.de", text.split("\n")[:3])], capsys)
    assert code == 0 and again.split("\n")[1] == ""


def test_a_file_after_an_option_gets_a_hint(trained, capsys):
    code, out, err = run(["translate", str(trained / "run"), "--beam", "3", str(trained / "test.de")], capsys)
    assert code == 2 and out == "" and "put file arguments before the options" in err and len(err.splitlines()) == 1
    code, _, err = run(["translate", str(trained / "run"), "--bem", "3"], capsys)
    assert code == 2 and "unrecognized arguments: --bem 3" in err and "put file" not in err


def test_attention_heatmap(trained, capsys):
    out_png = trained / "map.png"
    code, out, err = run(["attention", str(trained / "run"), "Eine rote Ente springt.", "--output", str(out_png)],
                         capsys)
    assert code == 0 and out.startswith("A ") and out_png.read_bytes()[:4] == b"\x89PNG" and "map.png" in err
    code, out, err = run(["attention", str(trained / "run"), "Eine rote Ente springt.", "Eine Maus isst.",
                          "--output", str(trained / "m.png")], capsys)
    assert code == 0 and len(out.strip().split("\n")) == 2
    assert (trained / "m-1.png").is_file() and (trained / "m-2.png").is_file()


def test_subwords_scheduled_sampling_and_resume(tmp_path, capsys):
    src, tgt = files(tmp_path, "train", corpus(200, 3))
    args = ["train", "translate", "--src", src, "--tgt", tgt, "--vocab-size", "60", "--valid-fraction", "0.1",
            "--tf-schedule", "inverse_sigmoid", "--tf-k", "5", "--attention", "additive", "--out", str(tmp_path / "r"),
            *FAST]
    code, _, err = run([*args, "--epochs", "1"], capsys)
    assert code == 0, err
    run_dir = RunDir(tmp_path / "r")
    assert (run_dir.path / "subword.src.model").is_file() and (run_dir.path / "subword.tgt.model").is_file()
    assert isinstance(load(run_dir.path).tgt_tokenizer, SubwordTokenizer)
    code, _, err = run(["train", "translate", "--src", src, "--tgt", tgt, "--out", str(tmp_path / "r"), "--resume",
                        "--epochs", "2"], capsys)
    assert code == 0, err
    assert [r["epoch"] for r in run_dir.read_metrics() if "valid_bleu" in r] == [1, 2]   # after each epoch
    code, out, _ = run(["translate", str(run_dir.path), write(tmp_path / "x.de", ["Eine Kuh isst.", ""])], capsys)
    assert code == 0 and out.count("\n") == 2


def test_long_sentences_are_truncated_with_one_warning(tmp_path, capsys):
    pairs = corpus(60, 4) + [("Eine " + "sehr " * 30 + "alte Kuh singt.", "A " + "very " * 30 + "old cow sings.")] * 3
    src, tgt = files(tmp_path, "train", pairs)
    code, _, err = run(["train", "translate", "--src", src, "--tgt", tgt, "--tokenizer", "word", "--max-length", "12",
                        "--valid-fraction", "0", "--epochs", "1", "--out", str(tmp_path / "r"), *FAST], capsys)
    warnings = [line for line in err.split("\n") if "truncated" in line]
    assert code == 0 and len(warnings) == 1, err
    assert warnings[0].startswith("warning: ") and "6 sentence(s) longer than 12 tokens" in warnings[0]
    code, out, err = run(["translate", str(tmp_path / "r"), write(tmp_path / "long.de", [pairs[-1][0]] * 2)], capsys)
    assert code == 0 and out.count("\n") == 2 and err.count("truncated") == 1


def test_without_attention_there_is_no_heatmap(tmp_path, capsys):
    src, tgt = files(tmp_path, "train", corpus(60, 5))
    assert run(["train", "translate", "--src", src, "--tgt", tgt, "--attention", "none", "--tokenizer", "word",
                "--epochs", "1", "--out", str(tmp_path / "r"), *FAST], capsys)[0] == 0
    code, out, err = run(["attention", str(tmp_path / "r"), "Eine Kuh isst."], capsys)
    assert code == 2 and "trained with --attention none" in err


@pytest.mark.parametrize("make_args,message", [
    (lambda d: ["train", "translate", "--src", write(d / "a.de", ["Eine Kuh isst."] * 3),
                "--tgt", write(d / "a.en", ["A cow eats."] * 2)], "a.de has 3 lines but"),
    (lambda d: ["train", "translate", "--src", write(d / "a.de", ["Eine Kuh isst.", "", "Eine Maus."]),
                "--tgt", write(d / "a.en", ["A cow eats.", "A duck.", "A mouse."])], "a.de, line 2: empty sentence"),
    (lambda d: ["train", "translate", "--src", str(d / "missing.de"), "--tgt", write(d / "a.en", ["x"])],
     "missing.de: no such file"),
    (lambda d: [*train_args(d), "--valid-src", str(d / "t.de")], "give both --valid-src and --valid-tgt"),
    (lambda d: [*train_args(d), "--hidden", "33"], "--hidden must be even for a bidirectional encoder"),
    (lambda d: [*train_args(d), "--teacher-forcing", "1.5"], "teacher forcing: ratios lie in [0, 1]"),
    (lambda d: [*train_args(d), "--attention", "cosine"], "argument --attention: invalid choice"),
    (lambda d: ["translate", str(d)], "not a run directory (no config.json)"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, capsys, make_args, message):
    args = make_args(tmp_path)
    if args[0] == "train":
        args += ["--out", str(tmp_path / "out"), "--epochs", "1"]
    code, out, err = run(args, capsys)
    lines = err.strip().split("\n")
    assert code == 2 and out == ""
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err


def train_args(d):
    src, tgt = files(d, "t", corpus(20, 0))
    return ["train", "translate", "--src", src, "--tgt", tgt]


def test_evaluate_asks_for_the_right_files(trained, capsys):
    code, _, err = run(["evaluate", str(trained / "run"), "--test", str(trained / "test.de")], capsys)
    assert code == 2 and "give --src FILE --ref FILE instead of --test" in err
    code, _, err = run(["evaluate", str(trained / "run"), "--src", str(trained / "test.de")], capsys)
    assert code == 2 and "needs --src FILE and --ref FILE" in err
    code, _, err = run(["evaluate", str(trained / "run"), "--src", str(trained / "test.de"), "--ref",
                        str(trained / "train.en")], capsys)
    assert code == 2 and "test.de has 40 lines but" in err and "train.en has 400" in err


@pytest.mark.parametrize("command,expected", [
    (["train", "translate"], ["--valid-src", "--tokenizer", "--attention", "--tf-schedule", "--max-length"]),
    (["translate"], ["--beam", "--alpha", "RUN_DIR"]),
    (["attention"], ["--output", "SENTENCE"]),
    (["evaluate"], ["--src", "--ref", "--beam"]),
])
def test_help(capsys, command, expected):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and all(option in out for option in expected), out


@pytest.mark.parametrize("command", [
    lambda d: ["evaluate", str(d / "run"), "--src", str(d / "test.de"), "--ref", str(d / "test.en"),
               "--output", str(d / "nowhere" / "out.en")],
    lambda d: ["attention", str(d / "run"), "Eine Kuh isst.", "--output", str(d / "nowhere" / "m.png")],
])
def test_an_output_in_a_missing_folder_is_written_there_and_the_folder_made(trained, capsys, command):
    argv = command(trained)
    code, _, _ = run(argv, capsys)
    assert code == 0 and Path(argv[-1]).is_file()
