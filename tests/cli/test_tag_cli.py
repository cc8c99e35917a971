"""`rnnkit train tag`, `tag` and `evaluate` end to end, and their bad inputs."""
import io
import json
import random

import pytest

from rnnkit.cli.main import main
from rnnkit.data import read_conllu
from rnnkit.training import RunDir

LEXICON = {"DET": ["the", "a", "every"], "NOUN": ["cat", "dog", "bird", "fish"], "VERB": ["sees", "likes", "eats"],
           "ADJ": ["big", "small", "red"]}
XPOS = {"DET": "DT", "NOUN": "NN", "VERB": "VBZ", "ADJ": "JJ"}
FAST = ["--hidden", "16", "--embedding", "16", "--char-embedding", "8", "--char-hidden", "8", "--layers", "1",
        "--batch-size", "8", "--lr", "0.02", "--log-every", "5", "--dropout", "0.1"]


def sentence(rng):
    pattern = ["DET", "ADJ", "NOUN", "VERB", "DET", "NOUN"] if rng.random() < 0.5 else ["DET", "NOUN", "VERB", "DET", "ADJ", "NOUN"]
    return [(rng.choice(LEXICON[t]), t) for t in pattern]


def conllu(sentences, multiword=False):
    out = []
    for k, s in enumerate(sentences, 1):
        out += [f"# sent_id = {k}", f"# text = {' '.join(w for w, _ in s)}"]
        if multiword:
            out.append(f"1-2\t{s[0][0]}{s[1][0]}\t_\t_\t_\t_\t_\t_\t_\t_")
        for j, (w, t) in enumerate(s, 1):
            out.append(f"{j}\t{w}\t{w}\t{t}\t{XPOS[t]}\t_\t0\tdep\t_\t_")
        out.append("")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("tag")
    rng = random.Random(0)
    (root / "train.conllu").write_text(conllu([sentence(rng) for _ in range(120)]))
    (root / "dev.conllu").write_text(conllu([sentence(rng) for _ in range(20)]))
    (root / "test.conllu").write_text(conllu([sentence(rng) for _ in range(20)], multiword=True))
    assert main(["train", "tag", "--train", str(root / "train.conllu"), "--valid", str(root / "dev.conllu"),
                 "--xpos", "--out", str(root / "run"), "--epochs", "8", *FAST]) == 0
    return root


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_directory_and_evaluate(trained, capsys):
    rd = RunDir(trained / "run")
    config = rd.read_config()
    assert config["task"] == "tag" and config["data"]["labels"]["upos"] == ["ADJ", "DET", "NOUN", "VERB"]
    for path in (rd.model, rd.path / "vocab.json", rd.path / "chars.json", rd.plots / "loss.png", rd.plots / "confusion.png"):
        assert path.is_file(), path
    code, out, _ = run(["evaluate", str(trained / "run"), "--test", str(trained / "test.conllu"), "--json"], capsys)
    metrics = json.loads(out)
    assert code == 0 and metrics["accuracy"] > 0.95 and metrics["xpos_accuracy"] > 0.95
    assert metrics["tokens"] == 120 and set(metrics["per_tag"]) == {"ADJ", "DET", "NOUN", "VERB"}
    code, out, _ = run(["evaluate", str(trained / "run"), "--test", str(trained / "test.conllu")], capsys)
    assert out.startswith("accuracy ") and " unseen " in out and out.count("\n") == 1


def test_tag_conllu_changes_only_upos(trained, tmp_path, capsys):
    source = (trained / "test.conllu").read_text()
    blanked = "\n".join("\t".join(f[:3] + ["_"] + f[4:]) if len(f := line.split("\t")) == 10 and "-" not in f[0]
                        else line for line in source.split("\n"))
    (tmp_path / "in.conllu").write_text(blanked)
    code, _, err = run(["tag", str(trained / "run"), "--input", str(tmp_path / "in.conllu"),
                        "--output", str(tmp_path / "out.conllu")], capsys)
    assert code == 0 and "tagged 20 sentences (120 words)" in err
    out = (tmp_path / "out.conllu").read_text()
    before, after = blanked.split("\n"), out.split("\n")
    assert len(before) == len(after)
    for b, a in zip(before, after):
        fb, fa = b.split("\t"), a.split("\t")
        if len(fb) == 10 and "-" not in fb[0]:
            assert fb[:3] + fb[4:] == fa[:3] + fa[4:]
        else:
            assert a == b                                # comments, ranges, blank lines: byte for byte
    assert out.replace("\n", "") and sum(a != s for a, s in zip(out.split("\n"), source.split("\n"))) <= 6


def test_tag_plain_text_writes_complete_conllu(trained, tmp_path, capsys):
    (tmp_path / "in.txt").write_text("the big cat eats a fish\n\nevery dog likes the bird\n")
    code, _, err = run(["tag", str(trained / "run"), "--input", str(tmp_path / "in.txt"), "--output",
                        str(tmp_path / "out.conllu"), "--xpos"], capsys)
    assert code == 0 and "1 empty line(s) skipped" in err
    doc = read_conllu(tmp_path / "out.conllu")
    assert [s.upos for s in doc.sentences] == [["DET", "ADJ", "NOUN", "VERB", "DET", "NOUN"],
                                               ["DET", "NOUN", "VERB", "DET", "NOUN"]]
    assert doc.sentences[0].xpos == ["DT", "JJ", "NN", "VBZ", "DT", "NN"]


def _stdin(monkeypatch, text):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


def test_dash_is_standard_input_and_output(trained, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _stdin(monkeypatch, "the big cat eats a fish\nevery dog likes the bird\n")
    code, out, err = run(["tag", str(trained / "run"), "--input", "-", "--output", "-"], capsys)
    assert code == 0 and "tagged 2 sentences (11 words)" in err and err.count("\n") == 1
    assert not (tmp_path / "-").exists()
    (tmp_path / "out.conllu").write_text(out)
    doc = read_conllu(tmp_path / "out.conllu")
    assert [s.upos for s in doc.sentences] == [["DET", "ADJ", "NOUN", "VERB", "DET", "NOUN"],
                                               ["DET", "NOUN", "VERB", "DET", "NOUN"]]
    # CoNLL-U on standard input keeps its lines; only the UPOS column is filled in
    blanked = "\n".join("\t".join(f[:3] + ["_"] + f[4:]) if len(f := line.split("\t")) == 10 else line
                        for line in (trained / "test.conllu").read_text().split("\n"))
    _stdin(monkeypatch, blanked)
    code, out, err = run(["tag", str(trained / "run"), "--input", "-", "--output", str(tmp_path / "o.conllu")], capsys)
    assert code == 0 and "tagged 20 sentences (120 words) into" in err and out == ""
    tagged = (tmp_path / "o.conllu").read_text()
    assert tagged.count("\n") == blanked.count("\n") and "\tNOUN\t" in tagged and "# sent_id = 1" in tagged


@pytest.mark.parametrize("text, message", [
    ("1\tthe\tthe\tDET\tDT\t_\t0\tdep\t_\n\n", "t.conllu, line 1: expected 10 tab-separated columns, found 9"),
    ("", "t.conllu: is empty"),
    ("# only\n\n", "t.conllu, line 1: a sentence without words"),
    ("1\tthe\tthe\t_\tDT\t_\t0\tdep\t_\t_\n\n", "t.conllu, line 1: no UPOS tag"),
])
def test_bad_training_input(tmp_path, capsys, text, message):
    (tmp_path / "t.conllu").write_text(text)
    code, _, err = run(["train", "tag", "--train", str(tmp_path / "t.conllu"), "--out", str(tmp_path / "r"),
                        "--epochs", "1"], capsys)
    assert code == 2 and message in err and err.count("\n") == 1


def test_tag_unseen_in_training_is_an_error(trained, tmp_path, capsys):
    (tmp_path / "t.conllu").write_text("1\tthe\tthe\tDET\tDT\t_\t0\tdep\t_\t_\n2\tquickly\tquickly\tADV\tRB\t_\t0\tdep\t_\t_\n\n")
    code, _, err = run(["evaluate", str(trained / "run"), "--test", str(tmp_path / "t.conllu")], capsys)
    assert code == 2 and "t.conllu, line 2: UPOS tag 'ADV' was not seen in training" in err
