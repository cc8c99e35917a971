"""`rnnkit export RUN_DIR --output DIR`, run by onnxruntime: a language model's step (rnnkit's logits
and states to 1e-5 over several steps at two batch sizes), a text classifier (every pooling, with
padding), a translation model (greedy translation through its two files gives `rnnkit translate
--beam 1`'s sentences), and the one-line errors."""
import json
from pathlib import Path

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


@pytest.mark.parametrize("options", [[], ["--deltas", "--frame", "3", "--pooling", "mean"],
                                     ["--normalize", "training", "--deltas"]], ids=["plain", "deltas-frames", "training"])
def test_a_recordings_classifier_runs_in_onnxruntime(tmp_path, options):
    from tests.cli.test_recordings_cli import write_ts

    run = str(tmp_path / "run")
    assert main(["train", "classify", "--train", str(write_ts(tmp_path / "train.ts", 40, 0)), "--hidden", "8",
                 "--epochs", "1", "--out", run, *options]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    model = rnnkit.load(run)
    session = ort.InferenceSession(str(tmp_path / "onnx" / "classifier.onnx"), providers=["CPUExecutionProvider"])
    for T, lengths in ((1, [1]), (10, [10, 4, 7]), (4, [4, 2])):
        x = torch.randn(T, len(lengths), 2)
        x[2 % T, 0, 1] = float("nan")                                 # a missing value
        lengths = torch.tensor(lengths)
        with torch.no_grad():
            logits, _ = model(x, lengths)
        got = session.run(None, {"recordings": x.numpy(), "lengths": lengths.numpy()})
        torch.testing.assert_close(torch.from_numpy(got[0]), logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("options", [[], ["--deltas", "--pooling", "last"]], ids=["plain", "deltas"])
def test_a_clips_classifier_runs_in_onnxruntime(tmp_path, options):
    from tests.cli.test_clips_cli import write_clips

    run = str(tmp_path / "run")
    assert main(["train", "classify", "--clips", str(tmp_path), "--labels", str(write_clips(tmp_path, 12, 0)),
                 "--hidden", "8", "--cnn-channels", "4,4", "--image-size", "16", "--epochs", "1", "--out", run,
                 *options]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    model = rnnkit.load(run)
    session = ort.InferenceSession(str(tmp_path / "onnx" / "classifier.onnx"), providers=["CPUExecutionProvider"])
    for T, lengths in ((1, [1]), (6, [6, 2, 4]), (3, [3, 1])):
        clips = torch.randint(0, 256, (T, len(lengths), 1, 16, 16), dtype=torch.uint8)
        lengths = torch.tensor(lengths)
        with torch.no_grad():
            logits, _ = model(clips, lengths)
        got = session.run(None, {"clips": clips.numpy(), "lengths": lengths.numpy()})
        torch.testing.assert_close(torch.from_numpy(got[0]), logits, atol=1e-5, rtol=1e-5)


def test_a_tracker_runs_in_onnxruntime(tmp_path):
    from tests.cli.test_track_cli import write_clips

    run = str(tmp_path / "run")
    assert main(["train", "track", "--clips", str(tmp_path), "--positions", str(write_clips(tmp_path, 6, 0, "p.csv")),
                 "--hidden", "8", "--embedding", "8", "--cnn-channels", "4", "--image-size", "16", "--horizon", "2",
                 "--epochs", "1", "--out", run]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    model = rnnkit.load(run)
    session = ort.InferenceSession(str(tmp_path / "onnx" / "tracker.onnx"), providers=["CPUExecutionProvider"])
    for T, lengths in ((1, [1]), (5, [5, 2, 3]), (3, [3, 1])):
        clips = torch.randint(0, 256, (T, len(lengths), 1, 16, 16), dtype=torch.uint8)
        lengths = torch.tensor(lengths)
        with torch.no_grad():
            positions = model(clips, lengths)
        got = session.run(None, {"clips": clips.numpy(), "lengths": lengths.numpy()})[0]
        torch.testing.assert_close(torch.from_numpy(got), positions, atol=1e-5, rtol=1e-5)


def test_what_cannot_be_exported_is_one_line(tmp_path, capsys):
    assert main(["train", "longrange", "--problem", "copy", "--length", "24", "--hidden", "8", "--epoch-size", "32",
                 "--test-size", "16", "--epochs", "1", "--out", str(tmp_path / "c")]) == 0
    fails(["export", str(tmp_path / "c"), "--output", str(tmp_path / "x")], capsys,
          "to ONNX is not supported yet")
    (tmp_path / "file").write_text("")
    (tmp_path / "t.txt").write_text(TEXT)
    assert main(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "lm"), "--epochs", "1",
                 "--hidden", "8", "--bptt", "20"]) == 0
    fails(["export", str(tmp_path / "lm"), "--output", str(tmp_path / "file")], capsys,
          "exists and is not a folder")
    fails(["export", str(tmp_path / "missing"), "--output", str(tmp_path / "y")], capsys, "missing")
    fails(["export", str(tmp_path / "lm"), "--output", " "], capsys, "--output: give the folder")
    fails(["export", str(tmp_path / "lm"), "--output", str(tmp_path / "file" / "inside")], capsys,
          "cannot write the ONNX files")


DATA = Path(__file__).parents[1] / "fixtures" / "data"


def greedy_steps(folder, model, encoded: dict, state, limit: int, vocabulary: list[str]) -> list[str]:
    """Greedy decoding through ``decoder_step.onnx`` from ``encoded`` (``encoder.onnx``'s outputs by
    name); each step's logits are also held to rnnkit's ``step()`` from ``state`` on the same tokens."""
    import numpy as np

    about = json.loads((folder / "rnnkit.json").read_text())
    step = ort.InferenceSession(str(folder / "decoder_step.onnx"), providers=["CPUExecutionProvider"])
    carried = {k: v for k, v in encoded.items() if k in about["decoder_step"]["inputs"]}
    if "feed" in about["decoder_step"]["inputs"]:
        carried["feed"] = np.zeros((1, model.hidden_size), np.float32)
    token, out = about["specials"]["bos"], []
    for _ in range(limit):
        results = dict(zip(about["decoder_step"]["outputs"], step.run(None, {"token": np.array([token]), **carried})))
        with torch.no_grad():
            logits, state = model.step(torch.tensor([token]), state)
        torch.testing.assert_close(torch.from_numpy(results["logits"]), logits, atol=1e-4, rtol=1e-4)
        token = int(results["logits"].argmax(-1)[0])
        if token == about["specials"]["eos"]:
            break
        out.append(vocabulary[token])
        carried.update({name: results[f"{name}_next"] for name in ("h", "c", "feed") if f"{name}_next" in results})
    return out


def greedy_onnx(folder, model, sentence: str) -> str:
    """A translation through encoder.onnx and decoder_step.onnx alone (numpy in, numpy out)."""
    import numpy as np

    from rnnkit.tasks.translation.decode import source_tokens

    about = json.loads((folder / "rnnkit.json").read_text())
    encoder = ort.InferenceSession(str(folder / "encoder.onnx"), providers=["CPUExecutionProvider"])
    ids = model.src_vocab.encode(source_tokens(model, [sentence])[0])
    encoded = dict(zip(about["encoder"]["outputs"], encoder.run(None, {"src": np.array(ids)[:, None],
                                                                       "lengths": np.array([len(ids)])})))
    with torch.no_grad():
        state = model.encode(torch.tensor(ids)[:, None], torch.tensor([len(ids)]))
    words = greedy_steps(folder, model, encoded, state, min(model.max_length, 2 * len(ids) + 10),
                         about["target_vocabulary"])
    return model.tgt_tokenizer.detokenize(words)


@pytest.mark.parametrize("options", [["--attention", "general"], ["--attention", "additive", "--cell", "gru"],
                                     ["--attention", "dot", "--tie-embeddings"], ["--attention", "none"]],
                         ids=["general", "additive-gru", "dot-tied", "none"])
def test_greedy_translation_through_the_two_onnx_files_is_rnnkits(tmp_path, options):
    from rnnkit.data import pad_batch
    from rnnkit.tasks.translation.decode import translate
    from rnnkit.tasks.translation.decode import source_tokens

    run = str(tmp_path / "run")
    assert main(["train", "translate", "--src", str(DATA / "train.de"), "--tgt", str(DATA / "train.en"), "--tokenizer",
                 "word", "--hidden", "16", "--embedding", "16", "--epochs", "8", "--lr", "0.01", "--out", run,
                 *options]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    model = rnnkit.load(run)
    sentences = (DATA / "test.de").read_text().splitlines()[:6]
    encoder = ort.InferenceSession(str(tmp_path / "onnx" / "encoder.onnx"), providers=["CPUExecutionProvider"])
    about = json.loads((tmp_path / "onnx" / "rnnkit.json").read_text())
    for batch in (sentences[:1], sentences[:3], sentences[2:4]):          # padded batches of the encoder
        src, lengths = pad_batch([model.src_vocab.encode(t) for t in source_tokens(model, batch)], 0)
        got = dict(zip(about["encoder"]["outputs"], encoder.run(None, {"src": src.numpy(), "lengths": lengths.numpy()})))
        with torch.no_grad():
            state = model.encode(src, lengths)
        torch.testing.assert_close(torch.from_numpy(got["memory"]), state.memory.states, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(torch.from_numpy(got["mask"]), state.memory.mask)
    ours = [t.text for t in translate(model, sentences, beam_size=1, batch_size=1)]
    assert [greedy_onnx(tmp_path / "onnx", model, s) for s in sentences] == ours


def test_a_tagger_runs_in_onnxruntime(tmp_path):
    run = str(tmp_path / "run")
    assert main(["train", "tag", "--train", str(DATA / "train.conllu"), "--xpos", "--hidden", "8", "--embedding", "8",
                 "--char-embedding", "4", "--char-hidden", "4", "--epochs", "1", "--out", run]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    model = rnnkit.load(run)
    session = ort.InferenceSession(str(tmp_path / "onnx" / "tagger.onnx"), providers=["CPUExecutionProvider"])
    for sentences in ([["The", "dog", "runs", "."]], [["A", "cat"], ["Unseenword", "sleeps", "here", "now", "."]],
                      [["Dogs"], ["The", "cat", "sat"], ["A", "b", "c", "d", "e", "f", "g"]]):
        batch = model.encode(sentences, model.vocab, model.char_vocab)
        with torch.no_grad():
            upos, xpos = model(batch)
        got = session.run(None, {"words": batch.words.numpy(), "lengths": batch.lengths.numpy(),
                                 "chars": batch.chars.numpy(), "char_lengths": batch.char_lengths.numpy(),
                                 "form_index": batch.form_index.numpy()})
        for ours, theirs in zip((upos, xpos), got):
            torch.testing.assert_close(torch.from_numpy(theirs), ours, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("options", [["--season", "12"], ["--season", "12", "--scale", "log", "--output", "direct"],
                                     ["--season", "1", "--scale", "standard"], ["--season", "12", "--base", "drift"],
                                     ["--season", "1", "--base", "drift"]],
                         ids=["seasonal", "log-direct", "no-season", "drift", "drift-no-season"])
def test_a_forecaster_runs_in_onnxruntime(tmp_path, options):
    import math

    from rnnkit.models.forecaster import windows
    from rnnkit.tasks.forecasting.export import forecaster

    series = tmp_path / "series.csv"
    series.write_text("month,value\n" + "".join(f"{2000 + k // 12}-{k % 12 + 1:02d},{100 + k + 10 * (k % 12)}\n"
                                                for k in range(72)))
    run = str(tmp_path / "run")
    assert main(["train", "forecast", "--csv", str(series), "--horizon", "4", "--hidden", "8", "--epochs", "2",
                 "--out", run, *options]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    assert json.loads((tmp_path / "onnx" / "rnnkit.json").read_text())["files"] == ["forecaster.onnx"]
    model = rnnkit.load(run)
    # a calibration of this tiny validation set can widen an interval a million times its width,
    # which magnifies float32 rounding as much: compare under a moderate one
    model.widen[:] = torch.tensor([0.3, -0.2])
    session = ort.InferenceSession(forecaster(model).model().SerializeToString(), providers=["CPUExecutionProvider"])
    w = windows([[100.0 + k for k in range(30)], [50.0, math.nan, 70.0] + [60.0 + k for k in range(20)], [7.0, 8.0]],
                [0, 5, 11])
    for w in (w, windows([[3.0, 4.0, 5.0, 6.0, 7.0]], [2]), windows([[9.0] * 14, [1.0, 2.0, math.nan, 4.0]], [7, 0])):
        got = session.run(None, {"history": w.history.numpy(), "lengths": w.lengths.numpy(), "start": w.start.numpy()})
        torch.testing.assert_close(torch.from_numpy(got[0]), model.forecast(w), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("options", [["--attention", "general"], ["--attention", "dot", "--cell", "gru"],
                                     ["--attention", "none"]], ids=["general", "dot-gru", "none"])
def test_greedy_captions_through_the_two_onnx_files_are_rnnkits(tmp_path, options):
    from rnnkit.tasks.captioning.decode import caption
    from rnnkit.tasks.captioning.images import model_folder, read_images
    from tests.cli.test_caption_cli import FAST, write_scenes

    (tmp_path / "images").mkdir()
    captions = write_scenes(tmp_path / "images", 24, 0)
    run = str(tmp_path / "run")
    assert main(["train", "caption", "--images", str(tmp_path / "images"), "--captions", str(captions), "--out", run,
                 *FAST, *options]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    model = rnnkit.load(run)
    about = json.loads((tmp_path / "onnx" / "rnnkit.json").read_text())
    encoder = ort.InferenceSession(str(tmp_path / "onnx" / "encoder.onnx"), providers=["CPUExecutionProvider"])
    images = read_images(model_folder(model, tmp_path / "images"), sorted(p.name for p in (tmp_path / "images").iterdir()
                                                                        if p.suffix == ".png")[:4])
    ours = [c.text for c in caption(model, images, beam_size=1)]
    for batch in (images[:1], images[:3], images[1:3]):
        got = dict(zip(about["encoder"]["outputs"], encoder.run(None, {"images": batch.numpy()})))
        with torch.no_grad():
            state = model.encode(batch)
        states = state.rnn if isinstance(state.rnn, tuple) else (state.rnn,)
        for name, ours_state in zip(("h", "c"), states):
            torch.testing.assert_close(torch.from_numpy(got[name]), ours_state, atol=1e-5, rtol=1e-5)
    theirs = []
    for image in images:
        encoded = dict(zip(about["encoder"]["outputs"], encoder.run(None, {"images": image[None].numpy()})))
        with torch.no_grad():
            state = model.encode(image[None])
        words = greedy_steps(tmp_path / "onnx", model, encoded, state, model.max_length, about["vocabulary"])
        theirs.append(model.tokenizer.detokenize(words))
    assert theirs == ours


def test_a_melody_model_runs_in_onnxruntime(tmp_path, monkeypatch):
    pytest.importorskip("music21")
    from tests.cli.test_melody_cli import FAST, tunes

    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    (tmp_path / "songs.abc").write_text(tunes(8))
    run = str(tmp_path / "run")
    assert main(["train", "melody", "--music", str(tmp_path / "songs.abc"), "--out", run, *FAST]) == 0
    assert main(["export", run, "--output", str(tmp_path / "onnx")]) == 0
    model = rnnkit.load(run)
    about = json.loads((tmp_path / "onnx" / "rnnkit.json").read_text())
    step = ort.InferenceSession(str(tmp_path / "onnx" / "step.onnx"), providers=["CPUExecutionProvider"])
    duration = ort.InferenceSession(str(tmp_path / "onnx" / "duration.onnx"), providers=["CPUExecutionProvider"])
    B = 3
    state, feeds = None, {name: torch.zeros(1, B, model.rnn.hidden_size).numpy() for name in ("h", "c")}
    pitch = torch.full((B,), about["pitches"]["start"])
    dur = torch.full((B,), about["first_duration"])
    for t in range(4):
        position, meter = torch.randint(0, 49, (B,)), torch.randint(0, len(model.meters), (B,))
        with torch.no_grad():
            h, state = model.step(pitch, dur, position, meter, state)
            pitch_logits = model.pitch_logits(h)
        got = dict(zip(about["step"]["outputs"], step.run(None, {"pitch": pitch.numpy(), "duration": dur.numpy(),
                                                                 "position": position.numpy(), "meter": meter.numpy(),
                                                                 **feeds})))
        torch.testing.assert_close(torch.from_numpy(got["pitch_logits"]), pitch_logits, atol=1e-5, rtol=1e-5)
        pitch = pitch_logits.argmax(-1)
        with torch.no_grad():
            duration_logits = model.duration_logits(h, pitch)
        theirs = duration.run(None, {"hidden": got["hidden"], "pitch": pitch.numpy()})[0]
        torch.testing.assert_close(torch.from_numpy(theirs), duration_logits, atol=1e-5, rtol=1e-5)
        dur = duration_logits.argmax(-1)
        feeds = {name: got[f"{name}_next"] for name in ("h", "c")}
