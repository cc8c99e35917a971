"""rnnkit.train: the applications trained from Python on data in memory give the same weights as
the command line on the same data in files, and bad input from Python is one clear error."""
import numpy as np
import pytest
import torch

import rnnkit
from rnnkit.cli.main import main
from rnnkit.errors import RnnkitError

SMALL = dict(hidden=16, epochs=1, seed=3)
SMALL_FLAGS = ["--hidden", "16", "--epochs", "1", "--seed", "3"]
SENTENCES = ["the cat sat on the mat", "a dog ran in the park", "the bird sang a song", "my cat likes the sun",
             "our dog hates the rain", "a bird flew over the house"] * 4
LABELS = ["cat", "dog", "bird", "cat", "dog", "bird"] * 4


def same_weights(a, b) -> bool:
    return (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()


def cli(*argv) -> None:
    assert main([str(a) for a in argv]) == 0


def test_a_language_model_from_a_string_is_the_one_from_its_file(tmp_path):
    text = "the cat sat on the mat.\nthe dog sat on the log.\n" * 30
    model = rnnkit.train("lm", text, out=tmp_path / "py", layers=1, bptt=20, batch_size=4, **SMALL)
    (tmp_path / "train.txt").write_text(text)
    cli("train", "lm", "--text", tmp_path / "train.txt", "--out", tmp_path / "cli", "--layers", "1", "--bptt", "20",
        "--batch-size", "4", *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
    assert model.run_config["task"] == "lm" and (tmp_path / "py" / "data" / "train.txt").read_text() == text
    cli("evaluate", tmp_path / "py", "--test", tmp_path / "train.txt")                 # a run of the command line's
    again = rnnkit.train("lm", out=tmp_path / "py", resume=True, epochs=2)             # and it resumes from Python
    assert again.run_config["args"]["epochs"] == 2


def test_a_text_classifier_from_lists_is_the_one_from_its_tsv(tmp_path):
    model = rnnkit.train("classify", (SENTENCES, LABELS), out=tmp_path / "py", embedding=8, batch_size=4,
                         valid_fraction=0.25, **SMALL)
    (tmp_path / "train.tsv").write_text("".join(f"{s}\t{y}\n" for s, y in zip(SENTENCES, LABELS)))
    cli("train", "classify", "--train", tmp_path / "train.tsv", "--out", tmp_path / "cli", "--embedding", "8",
        "--batch-size", "4", "--valid-fraction", "0.25", *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
    assert model.predict(["the cat sat"])["label"][0] in {"cat", "dog", "bird"}


def test_a_recordings_classifier_from_an_array_is_the_one_from_its_file(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 30, 1)).astype(np.float32)
    y = [k % 2 for k in range(16)]
    x[1::2] += np.linspace(0, 2, 30, dtype=np.float32)[None, :, None]
    rnnkit.train("classify", (x, y), out=tmp_path / "py", **SMALL)
    lines = [" ".join([str(label), *(repr(float(v)) for v in case[:, 0])]) for case, label in zip(x, y)]
    (tmp_path / "train.txt").write_text("\n".join(lines) + "\n")
    cli("train", "classify", "--train", tmp_path / "train.txt", "--format", "ucr", "--out", tmp_path / "cli",
        *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
    ragged = [case[: 20 + k % 5] for k, case in enumerate(x)]                        # a list of different lengths
    assert rnnkit.train("classify", (ragged, y), **SMALL).features == 1


def test_a_tagger_from_token_lists_is_the_one_from_its_conllu(tmp_path):
    sentences = [s.split() for s in SENTENCES]
    tags = [["DET" if w in ("the", "a", "my", "our") else "NOUN" if i in (1, 5) else "VERB" if i == 2 else "ADP"
             for i, w in enumerate(s)] for s in sentences]
    rnnkit.train("tag", (sentences, tags), valid=(sentences[:4], tags[:4]), out=tmp_path / "py", embedding=8,
                 char_embedding=4, char_hidden=4, **SMALL)
    blocks = ["\n".join(f"{i}\t{w}\t_\t{t}\t_\t_\t_\t_\t_\t_" for i, (w, t) in enumerate(zip(s, ts), 1))
              for s, ts in zip(sentences, tags)]
    (tmp_path / "train.conllu").write_text("\n\n".join(blocks) + "\n\n")
    (tmp_path / "valid.conllu").write_text("\n\n".join(blocks[:4]) + "\n\n")
    cli("train", "tag", "--train", tmp_path / "train.conllu", "--valid", tmp_path / "valid.conllu", "--out",
        tmp_path / "cli", "--embedding", "8", "--char-embedding", "4", "--char-hidden", "4", *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")


def test_a_translation_model_from_sentence_lists_is_the_one_from_its_files(tmp_path):
    sources = [s.replace("the", "der").replace("cat", "Katze") for s in SENTENCES]
    rnnkit.train("translate", (sources, SENTENCES), out=tmp_path / "py", tokenizer="word", min_freq=1, embedding=8,
                 valid_fraction=0.25, **SMALL)
    (tmp_path / "train.de").write_text("".join(s + "\n" for s in sources))
    (tmp_path / "train.en").write_text("".join(s + "\n" for s in SENTENCES))
    cli("train", "translate", "--src", tmp_path / "train.de", "--tgt", tmp_path / "train.en", "--out",
        tmp_path / "cli", "--tokenizer", "word", "--min-freq", "1", "--embedding", "8", "--valid-fraction", "0.25",
        *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")


def test_forecasters_from_a_list_and_from_a_dict_are_those_from_their_files(tmp_path):
    t = torch.arange(80, dtype=torch.float64)
    values = (100 + t + 10 * torch.sin(2 * torch.pi * t / 12)).tolist()
    rnnkit.train("forecast", values, out=tmp_path / "py", horizon=6, **SMALL)
    (tmp_path / "series.csv").write_text("sales\n" + "".join(f"{v!r}\n" for v in values))
    cli("train", "forecast", "--csv", tmp_path / "series.csv", "--horizon", "6", "--out", tmp_path / "cli",
        *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
    several = {"north": values, "south": [v * 2 for v in values[:70]]}
    rnnkit.train("forecast", several, out=tmp_path / "py2", horizon=6, **SMALL)
    (tmp_path / "wide.csv").write_text("id,V1\n" + "".join(f"{name},{','.join(map(repr, v))}\n"
                                                        for name, v in several.items()))
    cli("train", "forecast", "--wide", tmp_path / "wide.csv", "--horizon", "6", "--out", tmp_path / "cli2",
        *SMALL_FLAGS)
    assert same_weights(tmp_path / "py2", tmp_path / "cli2")


@pytest.mark.parametrize("task, data, options, message", [
    ("lm", "some text", dict(hiden=8), "no option 'hiden' (did you mean 'hidden'"),
    ("lm", "some text", dict(hidden=-1), "argument --hidden: must be a positive integer, got -1"),
    ("lm", "some text", dict(hidden=2.5), "argument --hidden: must be a positive integer, got '2.5'"),
    ("lm", "some text", dict(cell="lstn"), "argument --cell: invalid choice: 'lstn'"),
    ("lm", "some text", dict(tie_weights="yes"), "argument --tie-weights: a switch, True or False; got 'yes'"),
    ("lm", "some text", dict(text="train.txt"), "text: given both as an option and through data=/valid="),
    ("lm", [], {}, "data: the text is empty"),
    ("lm", 42, {}, "data: a language model reads a string or a list of strings, got int"),
    ("lm", None, {}, "rnnkit.train('lm'): give the training data, in memory as data=... or as files with text=..."),
    ("classify", (["a b", "c d"], ["x"]), {}, "data: 2 examples but 1 labels; they go in pairs"),
    ("classify", (np.zeros((2, 3, 4, 5, 6)), ["x", "y"]), {}, "data: clip 0 has shape [3, 4, 5, 6]"),
    ("classify", ([np.zeros((3, 2)), np.zeros((3, 4, 4))], ["x", "y"]), {}, "example 1 has 3 dimensions among "
                                                                            "recordings"),
    ("classify", ([np.zeros((3, 2)), np.zeros((3, 1))], ["x", "y"]), {}, "recording 1 has 1 channel(s), recording 0 "
                                                                         "has 2"),
    ("classify", (["a b", "c d"], ["x", "two\nlines"]), {}, "label 1 is 'two\\nlines'"),
    ("classify", (["a b", "c d"], ["x", float("nan")]), {}, "data: label 1 is missing (nan)"),
    ("classify", (np.array([[1.0], [np.inf]])[None], ["x"]), {}, "data: recording 0 holds an infinite value"),
    ("classify", ([], []), {}, "data: no examples (an empty list)"),
    ("tag", ([["a", "b"]], [["X"]]), {}, "data: sentence 0 has 2 word(s) and 1 tag(s)"),
    ("tag", (["a b"], [["X", "Y"]]), {}, "data: sentence 0 is a string"),
    ("translate", (["a"], ["b", "c"]), {}, "data: 1 sources but 2 targets"),
    ("forecast", [[1.0, 2.0], [3.0, 4.0]], dict(horizon=1), "data: expected a 1-D series of numbers, got shape [2, 2]"),
    ("forecast", "sales.csv", dict(horizon=1), "a file is given as csv=PATH or tsf=PATH"),
    ("caption", (["x"], ["y"]), {}, "data: image 0 has shape []; expected a Pillow image or an array"),
    ("caption", ([np.zeros((4, 4))], [[]]), {}, "data: image 0 has no caption"),
    ("track", ([np.zeros((3, 4, 4))], [np.zeros((2, 2))]), {}, "the positions of clip 0 have shape [2, 2]; expected "
                                                               "[frames, 2] = [3, 2]"),
    ("melody", [42], {}, "data: item 0 is int; expected a music21 stream or the path"),
])
def test_bad_input_from_python_is_one_clear_error(tmp_path, task, data, options, message):
    with pytest.raises(RnnkitError) as caught:
        rnnkit.train(task, data, out=tmp_path / "run", **options)
    assert message in str(caught.value)


def test_a_forecaster_takes_no_valid_and_an_occupied_run_directory_is_refused(tmp_path):
    with pytest.raises(RnnkitError, match="a forecaster validates on the values before"):
        rnnkit.train("forecast", [1.0, 2.0, 3.0], valid=[4.0], horizon=1)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "mine.txt").write_text("keep me")
    with pytest.raises(RnnkitError, match="already exists and is not empty"):
        rnnkit.train("lm", "some text", out=tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["mine.txt"]       # nothing written into it


def test_a_dated_pandas_series_is_the_dated_csv(tmp_path):
    pandas = pytest.importorskip("pandas")
    t = torch.arange(60, dtype=torch.float64)
    values = (50 + t + 5 * torch.sin(2 * torch.pi * t / 12)).tolist()
    series = pandas.Series(values, index=pandas.date_range("2015-01-31", periods=60, freq="ME"))
    model = rnnkit.train("forecast", series, out=tmp_path / "py", horizon=6, **SMALL)
    assert model.run_config["data"]["season"] == 12 and model.run_config["data"]["season_from"] == "the series' calendar"
    dates = [d.strftime("%Y-%m-%d") for d in series.index]
    (tmp_path / "sales.csv").write_text("month,sales\n" + "".join(f"{d},{v!r}\n" for d, v in zip(dates, values)))
    cli("train", "forecast", "--csv", tmp_path / "sales.csv", "--horizon", "6", "--out", tmp_path / "cli",
        *SMALL_FLAGS)
    assert same_weights(tmp_path / "py", tmp_path / "cli")
