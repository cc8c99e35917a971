"""`rnnkit train lm`, `generate`, `complete`, `evaluate` end to end, and their bad inputs."""
import gzip
import json
import os
import signal
import shutil

import pytest
import torch

from rnnkit.cli.main import main
from tests.cli.conftest import FAST, TEXT, small_lm
from rnnkit.training import RunDir

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small character model, trained once for the module."""
    return small_lm(tmp_path_factory.mktemp("lm"), 500, "--epochs", "3", "--lr", "0.01")


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_directory_layout(trained):
    run = RunDir(trained / "run")
    config = run.read_config()
    assert config["task"] == "lm" and config["data"] == {"level": "char"}
    for path in (run.model, run.path / "vocab.json", run.metrics, run.plots / "loss.png"):
        assert path.is_file(), path
    assert (run.checkpoints / "latest").is_file()
    assert any("valid_loss" in json.loads(line) for line in run.metrics.read_text().splitlines())


def test_generate_prints_prime_and_exactly_n_tokens(trained, capsys):
    code, out, err = run(["generate", str(trained / "run"), "--prime", "the c", "--length", "40",
                          "--temperature", "0.5", "--seed", "3"], capsys)
    assert code == 0 and err == ""
    body = out[:-1] if len(out) == 46 else out     # a newline is added only if the text lacks one
    assert out.startswith("the c") and len(body) == 45
    _, again, _ = run(["generate", str(trained / "run"), "--prime", "the c", "--length", "40",
                       "--temperature", "0.5", "--seed", "3"], capsys)
    assert again == out
    code, greedy, _ = run(["generate", str(trained / "run"), "--prime", "the", "--length", "10",
                           "--temperature", "0", "--top-k", "3", "--top-p", "0.9"], capsys)
    assert code == 0 and greedy.startswith("the")


def test_top_p_one_means_no_filtering(trained, capsys):
    args = ["generate", str(trained / "run"), "--prime", "the", "--length", "30", "--seed", "5"]
    code, out, err = run([*args, "--top-p", "1.0"], capsys)
    assert code == 0 and err == ""
    assert out == run(args, capsys)[1]


def test_prime_with_unknown_characters_warns(trained, capsys):
    code, out, err = run(["generate", str(trained / "run"), "--prime", "the Zq", "--length", "5"], capsys)
    assert code == 0 and out.startswith("the Zq")
    assert err.strip() == "warning: the prime has 2 token(s) outside the vocabulary ('Z', 'q'); they are read as <unk>"


def test_evaluate_line_and_json(trained, capsys):
    code, out, err = run(["evaluate", str(trained / "run"), "--test", str(trained / "test.txt")], capsys)
    assert code == 0
    fields = out.split()
    assert fields[0] == "loss" and fields[2] == "nats/token" and fields[3] == "perplexity" and fields[5] == "bpc"
    loss, ppl, bpc = float(fields[1]), float(fields[4]), float(fields[6])
    assert ppl == pytest.approx(2.718281828 ** loss, abs=0.006) and bpc == pytest.approx(loss / 0.6931, abs=0.006)
    assert loss < 2.0
    code, out, _ = run(["evaluate", str(trained / "run"), "--test", str(trained / "test.txt"), "--json"], capsys)
    metrics = json.loads(out)
    assert metrics["loss"] == pytest.approx(loss, abs=1e-4) and metrics["tokens"] == 499


def test_complete(trained, capsys):
    code, out, _ = run(["complete", str(trained / "run"), "the d", "-k", "2"], capsys)
    lines = out.strip().split("\n")
    assert code == 0 and len(lines) == 2
    words = [line.split("\t") for line in lines]
    assert all(0 < float(p) <= 1 for _, p in words) and float(words[0][1]) >= float(words[1][1])


def _favour(run_dir, prefix, tokens, extra=0.0):
    """Make the run's model at least as likely to produce each of ``tokens`` as its favourite token
    after ``prefix``, everywhere (their output rows become a constant logit); the changed model."""
    from rnnkit import load

    model = load(run_dir)
    ids = torch.tensor(model.vocab.encode(model.tokenizer.tokenize(prefix)))
    with torch.no_grad():
        top = float(model(ids[:, None])[0][-1, 0].max())
        for token in tokens:
            model.output.weight[model.vocab.index[token]] = 0
            model.output.bias[model.vocab.index[token]] = top + extra
    RunDir(run_dir).save_weights(model)
    return model


def test_complete_prints_distinct_candidates_without_special_tokens(trained, tmp_path, capsys):
    # a model that likes the special tokens, and three ways (space, full stop, newline) to end a word
    shutil.copytree(trained / "run", tmp_path / "run")
    model = _favour(tmp_path / "run", "the d", ["<pad>", "<unk>", "<bos>", "<eos>", " ", ".", "\n"])
    code, out, err = run(["complete", str(tmp_path / "run"), "the d", "-k", "4"], capsys)
    assert code == 0 and err == ""
    lines = out.split("\n")
    assert lines[-1] == "" and len(lines) == 5           # exactly one line per candidate
    pairs = [line.split("\t") for line in lines[:-1]]
    assert all(len(pair) == 2 for pair in pairs)
    texts, probs = [t for t, _ in pairs], [float(p) for _, p in pairs]
    assert len(set(texts)) == 4 and all(t == "" or t.isalnum() for t in texts), texts
    assert probs == sorted(probs, reverse=True)
    # ending the word at once, whatever ends it, is one candidate with the summed probability
    ids = torch.tensor(model.vocab.encode(list("the d")))
    p = model(ids[:, None])[0][-1, 0].softmax(-1)
    ends = float(sum(p[model.vocab.index[c]] for c in " .\n"))
    assert texts[0] == "" and probs[0] == pytest.approx(ends, abs=1e-4)


def test_resume_through_the_command_line(trained, tmp_path, capsys):
    (tmp_path / "t.txt").write_text(TEXT)
    args = ["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "r"), *FAST]
    assert run([*args, "--epochs", "1"], capsys)[0] == 0
    metrics = tmp_path / "r" / "metrics.jsonl"
    steps_per_epoch = max(json.loads(line)["step"] for line in metrics.read_text().splitlines())
    code, _, err = run([*args, "--epochs", "1"], capsys)
    assert code == 2 and "already exists and is not empty; pass --resume" in err
    code, _, err = run(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "r"),
                        "--resume", "--epochs", "2"], capsys)
    assert code == 0
    assert max(json.loads(line)["step"] for line in metrics.read_text().splitlines()) == 2 * steps_per_epoch


def test_interrupt_saves_a_checkpoint(tmp_path, capsys, monkeypatch):
    from rnnkit.training import trainer

    (tmp_path / "t.txt").write_text(TEXT)
    real = trainer.Trainer._train_step
    calls = {"n": 0}

    def interrupt_during_fourth(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 4:
            os.kill(os.getpid(), signal.SIGINT)   # Ctrl-C; the step still completes
        return real(self, *a, **k)

    monkeypatch.setattr(trainer.Trainer, "_train_step", interrupt_during_fourth)
    code, _, err = run(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "r"),
                        "--epochs", "2", *FAST], capsys)
    assert code == 130 and "interrupted at step 4" in err and "--resume" in err
    assert (tmp_path / "r" / "model.safetensors").is_file()
    assert (tmp_path / "r" / "checkpoints" / "latest").is_file()
    monkeypatch.undo()
    code, _, err = run(["train", "lm", "--out", str(tmp_path / "r"), "--resume"], capsys)   # data from the run
    assert code == 0, err


def write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


@pytest.mark.parametrize("make_args,message", [
    (lambda d: ["train", "lm", "--text", str(d / "missing.txt")], "missing.txt: no such file"),
    (lambda d: ["train", "lm", "--text", write(d / "e.txt", "")], "e.txt: is empty"),
    (lambda d: ["train", "lm", "--text", write(d / "b.txt", b"\x7fELF\x00\x01binary")], "line 1: contains a NUL byte"),
    (lambda d: ["train", "lm", "--text", write(d / "l.txt", "fine\ncaf\xe9".encode("latin-1"))],
     "l.txt, line 2, column 4: byte 0xe9 is not valid UTF-8"),
    (lambda d: ["train", "lm", "--text", write(d / "s.txt", "too short"), "--valid-fraction", "0"],
     "fewer than one window of 20"),
    (lambda d: ["train", "lm", "--text", write(d / "ok.txt", TEXT), "--level", "byte"], "argument --level: invalid choice"),
    (lambda d: ["train", "lm", "--text", write(d / "ok.txt", TEXT), "--cell", "transformer"], "argument --cell: invalid choice"),
    (lambda d: ["train", "lm", "--text", write(d / "ok.txt", TEXT), "--lr", "-1"], "argument --lr: must be a positive number"),
    (lambda d: ["train", "lm", "--text", write(d / "ok.txt", TEXT), "--layer-norm", "--cell", "gru"], "--layer-norm is for --cell lstm"),
    (lambda d: ["generate", str(d), "--length", "5"], "not a run directory (no config.json)"),
    (lambda d: ["generate", str(d), "--length", "-5"], "argument --length: must be a positive integer, got -5"),
    (lambda d: ["generate", str(d), "--top-p", "0"], "argument --top-p: must lie in (0, 1], got 0"),
    (lambda d: ["generate", str(d), "--top-p", "1.5"], "argument --top-p: must lie in (0, 1], got 1.5"),
    (lambda d: ["evaluate", str(d / "nowhere")], "not a run directory (no config.json)"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, capsys, make_args, message):
    args = make_args(tmp_path)
    if args[0] == "train":
        args += ["--out", str(tmp_path / "out"), *FAST]
    code, out, err = run(args, capsys)
    lines = err.strip().split("\n")
    assert code == 2 and out == ""
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    assert "Traceback" not in err


def test_gzip_text_is_accepted(tmp_path, capsys):
    with gzip.open(tmp_path / "t.txt.gz", "wt") as f:
        f.write(TEXT)
    code, _, _ = run(["train", "lm", "--text", str(tmp_path / "t.txt.gz"), "--out", str(tmp_path / "r"),
                      "--epochs", "1", *FAST], capsys)
    assert code == 0


def test_word_level(tmp_path, capsys):
    (tmp_path / "w.txt").write_text(TEXT)
    code, _, _ = run(["train", "lm", "--text", str(tmp_path / "w.txt"), "--out", str(tmp_path / "r"),
                      "--level", "word", "--epochs", "2", *FAST[:-4], "--batch-size", "2", "--bptt", "5"], capsys)
    assert code == 0
    code, out, _ = run(["generate", str(tmp_path / "r"), "--prime", "the cat", "--length", "6", "--temperature", "0"], capsys)
    assert code == 0 and out.startswith("the cat ") and len(out.split()) >= 5

    # a line's end and <unk> made likely: candidates are words only, one line each, no special token
    model = _favour(tmp_path / "r", "the cat", ["<unk>", "<eos>"], extra=1.0)
    code, out, err = run(["complete", str(tmp_path / "r"), "the cat", "-k", "3", "--max-length", "4"], capsys)
    assert code == 0 and err == ""
    lines = out.split("\n")
    assert lines[-1] == "" and len(lines) == 4
    texts = [line.split("\t")[0] for line in lines[:-1]]
    assert all(line.count("\t") == 1 for line in lines[:-1]) and len(set(texts)) == 3
    assert all(word in model.vocab.index and not word.startswith("<") for t in texts for word in t.split()), texts


def test_generated_text_never_holds_special_tokens(trained, capsys):
    code, out, _ = run(["generate", str(trained / "run"), "--length", "400", "--temperature", "3", "--seed", "2"],
                       capsys)
    assert code == 0 and not any(t in out for t in ("<pad>", "<unk>", "<bos>", "<eos>"))
