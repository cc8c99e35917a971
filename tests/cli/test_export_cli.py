"""`rnnkit export RUN_DIR --output DIR`: a language model's step as ONNX, run by onnxruntime with
rnnkit's logits and states to 1e-5 over several steps at two batch sizes, and the one-line errors."""
import json

import pytest
import torch

import rnnkit
from rnnkit.cli.main import main
from tests.cli.conftest import TEXT, fails

ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_language_model_step_runs_in_onnxruntime(tmp_path, capsys, cell):
    (tmp_path / "t.txt").write_text(TEXT)
    run = str(tmp_path / "run")
    assert main(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", run, "--epochs", "1", "--hidden", "12",
                 "--layers", "2", "--bptt", "20", "--cell", cell, "--tie-weights"]) == 0
    capsys.readouterr()
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "onnx" / "step.onnx"), str(tmp_path / "onnx" / "rnnkit.json")]
    about = json.loads((tmp_path / "onnx" / "rnnkit.json").read_text())
    model = rnnkit.load(run)
    assert about["vocabulary"] == model.vocab.tokens and about["files"] == ["step.onnx"]
    session = ort.InferenceSession(str(tmp_path / "onnx" / "step.onnx"), providers=["CPUExecutionProvider"])
    for B in (1, 3):
        state = model.initial_state(B)
        states = state if isinstance(state, tuple) else (state,)
        feeds = {name: s.numpy() for name, s in zip(about["step"]["inputs"][1:], states)}
        for t in range(5):
            token = torch.randint(4, len(model.vocab), (B,))
            with torch.no_grad():
                logits, state = model.step(token, state)
            got = session.run(None, {"token": token.numpy(), **feeds})
            ours = (logits, *(state if isinstance(state, tuple) else (state,)))
            for a, b in zip(ours, got):
                torch.testing.assert_close(torch.from_numpy(b), a, atol=1e-5, rtol=1e-5)
            feeds = dict(zip(about["step"]["inputs"][1:], got[1:]))


@pytest.mark.parametrize("pooling, bidirectional", [("attention", True), ("mean", False), ("max", True),
                                                    ("last", True)])
def test_a_text_classifier_runs_in_onnxruntime(tmp_path, capsys, pooling, bidirectional):
    (tmp_path / "t.tsv").write_text("".join(f"{'good' if k % 2 else 'bad'} film number {k}\t{'pos' if k % 2 else 'neg'}\n"
                                            for k in range(24)))
    run = str(tmp_path / "run")
    assert main(["train", "classify", "--train", str(tmp_path / "t.tsv"), "--out", run, "--epochs", "1", "--hidden",
                 "8", "--embedding", "8", "--pooling", pooling, "--layers", "2",
                 *([] if bidirectional else ["--unidirectional"])]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    about = json.loads((tmp_path / "onnx" / "rnnkit.json").read_text())
    model = rnnkit.load(run)
    assert about["labels"] == model.labels and about["vocabulary"] == model.vocab.tokens
    session = ort.InferenceSession(str(tmp_path / "onnx" / "classifier.onnx"), providers=["CPUExecutionProvider"])
    for T, lengths in ((1, [1]), (7, [7, 3, 1, 5]), (4, [2, 4])):
        tokens = torch.randint(4, len(model.vocab), (T, len(lengths)))
        lengths = torch.tensor(lengths)
        tokens[torch.arange(T)[:, None] >= lengths[None, :]] = 0
        with torch.no_grad():
            logits, _ = model(tokens, lengths)
        got_logits, got_p = session.run(None, {"tokens": tokens.numpy(), "lengths": lengths.numpy()})
        torch.testing.assert_close(torch.from_numpy(got_logits), logits, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(torch.from_numpy(got_p), logits.softmax(-1), atol=1e-5, rtol=1e-5)


def test_what_cannot_be_exported_is_one_line(tmp_path, capsys):
    (tmp_path / "t.ts").write_text("@problemName T\n@timeStamps false\n@univariate true\n@classLabel true a b\n@data\n"
                                   + "".join(f"{k},{k + 1},{k % 3}:{'ab'[k % 2]}\n" for k in range(12)))
    assert main(["train", "classify", "--train", str(tmp_path / "t.ts"), "--out", str(tmp_path / "c"), "--epochs",
                 "1", "--hidden", "8"]) == 0
    fails(["export", str(tmp_path / "c"), "--output", str(tmp_path / "x")], capsys,
          "exporting a classifier of recordings to ONNX is not supported yet")
    (tmp_path / "file").write_text("")
    (tmp_path / "t.txt").write_text(TEXT)
    assert main(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "lm"), "--epochs", "1",
                 "--hidden", "8", "--bptt", "20"]) == 0
    fails(["export", str(tmp_path / "lm"), "--output", str(tmp_path / "file")], capsys,
          "exists and is not a folder")
    fails(["export", str(tmp_path / "missing"), "--output", str(tmp_path / "y")], capsys, "missing")
