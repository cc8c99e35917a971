"""A trained model from Python: ``predict`` and ``evaluate`` on data in memory give what the command
line's verbs and ``rnnkit evaluate --json`` give on the same data in files; clips, captions, tracks
and melodies trained in memory are the runs the command line makes of their files; ``save`` keeps a
run; bad input is one clear error."""
import csv
import math
import io
import json

import numpy as np
import pytest
import torch

import rnnkit
from rnnkit.cli.main import main
from rnnkit.errors import RnnkitError

SMALL = dict(hidden=16, epochs=1, seed=3)
SMALL_FLAGS = ["--hidden", "16", "--epochs", "1", "--seed", "3"]
TIMINGS = {"seconds", "sentences_per_s", "images_per_s"}


def same_weights(a, b) -> bool:
    return (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()


def cli(capsys, *argv) -> str:
    capsys.readouterr()
    assert main([str(a) for a in argv]) == 0
    return capsys.readouterr().out


def evaluated(capsys, run, *flags) -> dict:
    return {k: v for k, v in json.loads(cli(capsys, "evaluate", run, *flags, "--json")).items() if k not in TIMINGS}


def without_timings(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in TIMINGS}


def moving_dot_clips(n: int, frames: int = 6, size: int = 12):
    """Clips of a bright dot moving right or down, their labels and the dot's positions."""
    clips, labels, tracks = [], [], []
    for k in range(n):
        clip = np.zeros((frames, size, size), dtype=np.uint8)
        right = k % 2 == 0
        xy = np.array([[1 + t if right else 2 + k % 5, 2 + k % 5 if right else 1 + t] for t in range(frames)], float)
        for t, (x, y) in enumerate(xy.astype(int)):
            clip[t, y, x] = 255
        clips.append(clip)
        labels.append("right" if right else "down")
        tracks.append(xy)
    return clips, labels, tracks


def write_clips(folder, clips) -> list[str]:
    folder.mkdir()
    for k, clip in enumerate(clips):
        np.save(folder / f"clip{k}.npy", clip)
    return [f"clip{k}.npy" for k in range(len(clips))]


def test_a_text_classifier_predicts_and_evaluates_as_the_command_line(tmp_path, capsys):
    texts = ["a fine film", "a dull film", "fine acting", "dull acting", "fine", "so dull"] * 6
    labels = ["good", "bad", "good", "bad", "good", "bad"] * 6
    model = rnnkit.train("classify", (texts, labels), out=tmp_path / "run", embedding=8, batch_size=4, **SMALL)
    out = model.predict(["a fine story", "dull"], explain=True)
    (tmp_path / "in.txt").write_text("a fine story\ndull\n")
    printed = cli(capsys, "classify", tmp_path / "run", tmp_path / "in.txt", "--explain").splitlines()
    assert printed == [f"{y}\t{p:.4f}\t" + " ".join(f"{w}:{a:.3f}" for w, a in e)
                       for y, p, e in zip(out["label"], out["probability"], out["explanation"])]
    assert model.predict("a fine story")["label"].tolist() == [out["label"][0]]        # a string alone is one text
    (tmp_path / "test.tsv").write_text("".join(f"{t}\t{y}\n" for t, y in zip(texts[:8], labels[:8])))
    assert model.evaluate((texts[:8], labels[:8])) == evaluated(capsys, tmp_path / "run", "--test",
                                                                tmp_path / "test.tsv")
    assert model.evaluate(test=tmp_path / "test.tsv") == model.evaluate((texts[:8], labels[:8]))


def test_a_recordings_classifier_predicts_and_evaluates_as_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 20, 2))
    x[1::2] += np.linspace(0, 2, 20)[None, :, None]
    y = ["flat", "rising"] * 8
    model = rnnkit.train("classify", (x, y), out=tmp_path / "run", **SMALL)
    rows = ["case,step,a,b,label"] + [f"{k},{t},{a!r},{b!r},{y[k]}" for k in range(6) for t, (a, b) in
                                      enumerate(x[k].tolist())]
    (tmp_path / "test.csv").write_text("\n".join(rows) + "\n")
    out = model.predict(x[:6])
    printed = cli(capsys, "classify", tmp_path / "run", tmp_path / "test.csv").splitlines()
    assert printed == [f"{label}\t{p:.4f}" for label, p in zip(out["label"], out["probability"])]
    assert model.predict(list(x[:6]))["probabilities"].tolist() == out["probabilities"].tolist()
    assert model.evaluate((x[:6], y[:6])) == evaluated(capsys, tmp_path / "run", "--test", tmp_path / "test.csv")
    with pytest.raises(RnnkitError, match="inputs: recording 0 has 3 channel"):
        model.predict(np.zeros((1, 5, 3)))


def test_a_clips_classifier_from_arrays_is_the_one_from_its_files_and_predicts_as_it(tmp_path, capsys):
    clips, labels, _ = moving_dot_clips(12)
    rnnkit.train("classify", (clips, labels), out=tmp_path / "py", **SMALL)
    names = write_clips(tmp_path / "clips", clips)
    (tmp_path / "labels.tsv").write_text("".join(f"{n}\t{y}\n" for n, y in zip(names, labels)))
    cli(capsys, "train", "classify", "--clips", tmp_path / "clips", "--labels", tmp_path / "labels.tsv", "--out",
        tmp_path / "cli", *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
    model = rnnkit.load(tmp_path / "py")
    out = model.predict(np.stack(clips[:3]))
    printed = cli(capsys, "classify", tmp_path / "py", *(tmp_path / "clips" / n for n in names[:3])).splitlines()
    assert [line.split("\t")[1:] for line in printed] == [[y, f"{p:.4f}"] for y, p in zip(out["label"],
                                                                                          out["probability"])]
    (tmp_path / "test.tsv").write_text("".join(f"{n}\t{y}\n" for n, y in zip(names[:4], labels[:4])))
    assert model.evaluate((clips[:4], labels[:4])) == evaluated(capsys, tmp_path / "py", "--clips", tmp_path / "clips",
                                                                "--labels", tmp_path / "test.tsv")


def test_a_language_model_samples_and_evaluates_as_the_command_line(tmp_path, capsys):
    text = "the cat sat on the mat.\nthe dog sat on the log.\n" * 20
    model = rnnkit.train("lm", text, out=tmp_path / "run", layers=1, bptt=20, batch_size=4, **SMALL)
    sampled = model.predict("the ", length=30, seed=1)
    assert cli(capsys, "generate", tmp_path / "run", "--prime", "the ", "--length", "30", "--seed", "1") == \
        sampled + ("" if sampled.endswith("\n") else "\n")
    assert model.predict(["the ", "a"], length=30, seed=1)[0] == sampled
    (tmp_path / "test.txt").write_text(text[:300])
    assert model.evaluate(text[:300]) == evaluated(capsys, tmp_path / "run", "--test", tmp_path / "test.txt")


def test_a_tagger_tags_and_evaluates_as_the_command_line(tmp_path, capsys):
    sentences = [["the", "cat", "sat"], ["a", "dog", "ran"], ["the", "dog", "sat"]] * 6
    tags = [["DET", "NOUN", "VERB"]] * 18
    model = rnnkit.train("tag", (sentences, tags), valid=(sentences[:3], tags[:3]), out=tmp_path / "run",
                         embedding=8, char_embedding=4, char_hidden=4, **SMALL)
    (tmp_path / "in.txt").write_text("the cat ran\na dog\n")
    printed = cli(capsys, "tag", tmp_path / "run", "--input", tmp_path / "in.txt", "--output", "-")
    blocks = [[line.split("\t")[3] for line in block.splitlines() if not line.startswith("#")]
              for block in printed.strip().split("\n\n")]
    assert model.predict(["the cat ran", ["a", "dog"]]) == blocks and model.predict("a dog") == blocks[1]
    rnnkit.train("tag", (sentences[:3], tags[:3]), out=tmp_path / "test", epochs=1, hidden=4, embedding=4,
                 char_embedding=4, char_hidden=4)
    assert model.evaluate((sentences[:3], tags[:3])) == evaluated(capsys, tmp_path / "run", "--test",
                                                                  tmp_path / "test" / "data" / "train.conllu")
    with pytest.raises(RnnkitError, match="xpos=True: the model was trained without XPOS"):
        model.predict("a dog", xpos=True)


def test_a_translation_model_translates_and_evaluates_as_the_command_line(tmp_path, capsys):
    sources = ["der Hund", "die Katze", "der Vogel", "die Maus"] * 8
    targets = ["the dog", "the cat", "the bird", "the mouse"] * 8
    model = rnnkit.train("translate", (sources, targets), out=tmp_path / "run", tokenizer="word", min_freq=1,
                         embedding=8, **SMALL)
    (tmp_path / "in.de").write_text("der Hund\n\ndie Maus\n")
    printed = cli(capsys, "translate", tmp_path / "run", tmp_path / "in.de", "--beam", "2")
    assert model.predict(["der Hund", "", "die Maus"], beam=2) == printed.split("\n")[:3]
    (tmp_path / "test.de").write_text("".join(s + "\n" for s in sources[:4]))
    (tmp_path / "test.en").write_text("".join(s + "\n" for s in targets[:4]))
    assert without_timings(model.evaluate((sources[:4], targets[:4]))) == evaluated(
        capsys, tmp_path / "run", "--src", tmp_path / "test.de", "--ref", tmp_path / "test.en")


def test_a_forecaster_forecasts_and_evaluates_as_the_command_line(tmp_path, capsys):
    t = torch.arange(72, dtype=torch.float64)
    values = (100 + t + 10 * torch.sin(2 * torch.pi * t / 12)).tolist()
    model = rnnkit.train("forecast", values, out=tmp_path / "run", horizon=6, **SMALL)
    (tmp_path / "series.csv").write_text("sales\n" + "".join(f"{v!r}\n" for v in values))
    rows = list(csv.DictReader(io.StringIO(cli(capsys, "forecast", tmp_path / "run", "--csv",
                                               tmp_path / "series.csv"))))
    out = model.predict(np.array(values))
    assert sorted(out) == ["forecast", "hi80", "hi95", "lo80", "lo95"] and out["forecast"].shape == (6,)
    for name, column in out.items():
        assert np.allclose(column, [float(r[name]) for r in rows], rtol=1e-5, atol=0)
    several = model.predict({"north": values, "south": values[:60]}, horizon=3)
    assert list(several) == ["north", "south"]                                     # two at once: equal to rounding
    assert np.allclose(several["north"]["forecast"], out["forecast"][:3], rtol=1e-9, atol=0)
    assert model.evaluate(values) == evaluated(capsys, tmp_path / "run", "--csv", tmp_path / "series.csv")


def test_a_dated_pandas_series_forecasts_as_a_dated_frame(tmp_path):
    pandas = pytest.importorskip("pandas")
    t = torch.arange(60, dtype=torch.float64)
    series = pandas.Series((50 + t + 5 * torch.sin(2 * torch.pi * t / 12)).tolist(),
                           index=pandas.date_range("2015-01-31", periods=60, freq="ME"))
    model = rnnkit.train("forecast", series, horizon=6, **SMALL)
    frame = model.predict(series)
    assert list(frame.columns) == ["forecast", "lo80", "hi80", "lo95", "hi95"]
    assert [d.strftime("%Y-%m-%d") for d in frame.index] == ["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30",
                                                              "2020-05-31", "2020-06-30"]
    assert frame["forecast"].tolist() == model.predict(series.to_numpy())["forecast"].tolist()


def test_a_captioner_from_arrays_is_the_one_from_its_files_and_captions_as_it(tmp_path, capsys):
    from PIL import Image

    images = [np.full((10, 10), 40 + 20 * (k % 2), dtype=np.uint8) for k in range(12)]
    captions = [["a dark square", "dark"] if k % 2 == 0 else "a light square" for k in range(12)]
    rnnkit.train("caption", (images, captions), out=tmp_path / "py", embedding=8, **SMALL)
    (tmp_path / "images").mkdir()
    lines = []
    for k, (image, caption) in enumerate(zip(images, captions)):
        Image.fromarray(image).save(tmp_path / "images" / f"im{k}.png")
        lines += [f"im{k}.png\t{c}" for c in ([caption] if isinstance(caption, str) else caption)]
    (tmp_path / "captions.tsv").write_text("\n".join(lines) + "\n")
    cli(capsys, "train", "caption", "--images", tmp_path / "images", "--captions", tmp_path / "captions.tsv",
        "--out", tmp_path / "cli", "--embedding", "8", *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
    model = rnnkit.load(tmp_path / "py")
    printed = cli(capsys, "caption", tmp_path / "py", *(tmp_path / "images" / f"im{k}.png" for k in range(3)))
    assert model.predict([Image.fromarray(a) for a in images[:3]]) == [line.split("\t")[1] for line in
                                                                      printed.splitlines()]
    (tmp_path / "test.tsv").write_text("\n".join(lines[:5]) + "\n")
    assert without_timings(model.evaluate((images[:3], captions[:3]))) == evaluated(
        capsys, tmp_path / "py", "--images", tmp_path / "images", "--captions", tmp_path / "test.tsv")


def test_a_tracker_from_arrays_is_the_one_from_its_files_and_predicts_pixels_as_it(tmp_path, capsys):
    clips, _, tracks = moving_dot_clips(12)
    tracks[1][2] = np.nan                                                            # an unknown position
    rnnkit.train("track", (clips, tracks), out=tmp_path / "py", horizon=2, **SMALL)
    names = write_clips(tmp_path / "clips", clips)
    rows = ["clip,frame,x,y"] + [f"{n},{t},{x!r},{y!r}" for n, xy in zip(names, tracks)
                                 for t, (x, y) in enumerate(xy.tolist()) if x == x]
    (tmp_path / "positions.csv").write_text("\n".join(rows) + "\n")
    cli(capsys, "train", "track", "--clips", tmp_path / "clips", "--positions", tmp_path / "positions.csv",
        "--horizon", "2", "--out", tmp_path / "cli", *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
    model = rnnkit.load(tmp_path / "py")
    paths = model.predict(clips[:2])
    printed = list(csv.DictReader(io.StringIO(cli(capsys, "track", tmp_path / "py",
                                                  *(tmp_path / "clips" / n for n in names[:2])))))
    assert [p.shape for p in paths] == [(2, 2), (2, 2)]
    assert np.allclose(np.concatenate(paths), [[float(r["x"]), float(r["y"])] for r in printed], atol=0.006)
    (tmp_path / "test.csv").write_text("\n".join(r for r in rows if r.split(",")[0] in ("clip", *names[:4])) + "\n")
    assert model.evaluate((clips[:4], tracks[:4])) == evaluated(capsys, tmp_path / "py", "--clips", tmp_path / "clips",
                                                                "--positions", tmp_path / "test.csv")


def test_a_melody_model_from_streams_is_the_one_from_their_files_and_composes_as_it(tmp_path, capsys):
    music21 = pytest.importorskip("music21")

    def tune(names):
        stream = music21.stream.Stream()
        stream.append(music21.meter.TimeSignature("4/4"))
        for name in names:
            stream.append(music21.note.Note(name, quarterLength=1))
        return stream

    pieces = [tune(["C4", "D4", "E4", "F4", "G4", "E4", "C4", "D4"] * 2), tune(["G4", "F4", "E4", "D4"] * 4)] * 3
    rnnkit.train("melody", pieces, out=tmp_path / "py", **SMALL)
    (tmp_path / "music").mkdir()
    for k, piece in enumerate(pieces):
        piece.write("musicxml", fp=str(tmp_path / "music" / f"tune{k}.musicxml"))
    cli(capsys, "train", "melody", "--music", tmp_path / "music", "--out", tmp_path / "cli", *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
    model = rnnkit.load(tmp_path / "py")
    melody = model.predict("C4 E4", notes=6, seed=2)
    from rnnkit.data.music import note_name

    printed = cli(capsys, "compose", tmp_path / "py", "--start", "C4", "E4", "--notes", "6", "--seed", "2", "--output",
                  tmp_path / "out.mid")
    assert printed.split() == [f"{note_name(n.pitch)}:{n.duration}" for n in melody]
    assert model.predict([60, "E4"], notes=6, seed=2) == melody
    assert model.evaluate(pieces[:2]) == evaluated(capsys, tmp_path / "py", "--music", tmp_path / "music" / "tune0.musicxml",
                                                   tmp_path / "music" / "tune1.musicxml")


def test_save_keeps_a_temporary_run_and_refuses_to_overwrite(tmp_path):
    model = rnnkit.train("lm", "the cat sat on the mat. " * 40, bptt=10, batch_size=2, **SMALL)
    kept = model.save(tmp_path / "kept")
    again = rnnkit.load(kept)
    assert again.predict("the ", length=10) == model.predict("the ", length=10)
    with pytest.raises(RnnkitError, match="exists already"):
        model.save(tmp_path / "kept")


@pytest.mark.parametrize("call, message", [
    (lambda m: m.predict([]), "inputs: no examples (an empty list)"),
    (lambda m: m.predict(["fine", ""]), "inputs: text 1 ('') has no words to classify"),
    (lambda m: m.predict([3]), "inputs: a classifier of text reads strings; input 0 is int"),
    (lambda m: m.predict(["fine"], batch_size=0), "argument --batch-size: must be a positive integer"),
    (lambda m: m.predict(["fine"], beam=2), "predict: a classifier takes no option 'beam'"),
    (lambda m: m.evaluate((["fine"], ["good", "bad"])), "valid: 1 examples but 2 labels"),
    (lambda m: m.evaluate(tests="x.tsv"), "evaluate: a classifier takes no option 'tests'"),
    (lambda m: m.evaluate(), "evaluating this classifier needs --test FILE"),
])
def test_bad_input_to_a_trained_model_is_one_clear_error(call, message):
    model = rnnkit.train("classify", (["fine", "dull"] * 4, ["good", "bad"] * 4), embedding=4, **SMALL)
    with pytest.raises(RnnkitError) as caught:
        call(model)
    assert message in str(caught.value)


def test_a_long_range_network_answers_and_evaluates_as_the_command_line(tmp_path, capsys):
    from rnnkit.analysis.longrange import generate

    model = rnnkit.train("longrange", out=tmp_path / "run", problem="copy", length=24, epoch_size=32, test_size=32,
                         hidden=8, epochs=1)
    x, _ = generate("copy", 3, 24, 0)                                                # [steps, cases, inputs]
    answers = model.predict(x.transpose(0, 1).numpy())
    with torch.no_grad():
        expected = model(x.to(model.head.weight)).argmax(-1).t()                        # [cases, K]
    assert answers.tolist() == expected.tolist() and answers.shape == (3, 10)
    assert model.evaluate() == evaluated(capsys, tmp_path / "run")
    with pytest.raises(RnnkitError, match=r"inputs: expected an array \[cases, steps, 10\]"):
        model.predict(np.zeros((2, 24)))


def test_a_long_dataframe_is_the_long_csv_with_an_id_column(tmp_path, capsys):
    pandas = pytest.importorskip("pandas")
    rows = [(store, pandas.Timestamp(2015 + k // 12, k % 12 + 1, 1), scale * (100 + k + 10 * math.sin(k * math.pi / 6)))
            for store, scale in (("north", 1.0), ("south", 2.0)) for k in range(60)]
    frame = pandas.DataFrame(rows, columns=["store", "month", "sales"])
    model = rnnkit.train("forecast", frame, out=tmp_path / "py", id_column="store", horizon=4, **SMALL)
    (tmp_path / "long.csv").write_text("store,month,sales\n" + "".join(f"{s},{t:%Y-%m-%d},{v!r}\n" for s, t, v in rows))
    cli(capsys, "train", "forecast", "--csv", tmp_path / "long.csv", "--id-column", "store", "--horizon", "4",
        "--out", tmp_path / "cli", *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli") and model.run_config["data"]["season"] == 12
    out = model.predict(frame)
    printed = list(csv.DictReader(io.StringIO(cli(capsys, "forecast", tmp_path / "py", "--csv", tmp_path / "long.csv"))))
    assert list(out.columns) == ["store", "time", "forecast", "lo80", "hi80", "lo95", "hi95"] and len(out) == 8
    assert out["store"].tolist() == [r["series"] for r in printed]
    assert [f"{t:%Y-%m-%d}" for t in out["time"]] == [r["time"] for r in printed]
    assert np.allclose(out["forecast"], [float(r["forecast"]) for r in printed], rtol=1e-5, atol=0)
    assert model.evaluate(frame) == evaluated(capsys, tmp_path / "py", "--csv", tmp_path / "long.csv")
    dated = {name: group.set_index("month")["sales"] for name, group in frame.groupby("store")}
    by_name = model.predict(dated)                                           # a dict of dated Series, dated too
    assert list(by_name) == ["north", "south"] and by_name["south"].index[0] == pandas.Timestamp(2020, 1, 1)
    assert np.allclose(by_name["south"]["forecast"], out["forecast"][4:], rtol=1e-9, atol=0)
