"""Run configs: options from a TOML file or a run's config.json train the run the flags train,
flags given beside the file override it, a run replays from its config.json in another folder,
data paths are recorded absolute (and the same file by another name resumes), and a bad config is
one line with exit status 2."""
import json
import os

import pytest

import rnnkit
from rnnkit.cli.main import main
from rnnkit.errors import RnnkitError

TEXT = "the cat sat on the mat.\nthe dog sat on the log.\n" * 20
FLAGS = ["--layers", "1", "--hidden", "16", "--bptt", "20", "--batch-size", "4", "--epochs", "1", "--seed", "2"]


def weights(run) -> bytes:
    return (run / "model.safetensors").read_bytes()


def cli(*argv) -> int:
    return main([str(a) for a in argv])


@pytest.fixture
def text(tmp_path):
    (tmp_path / "train.txt").write_text(TEXT)
    return tmp_path / "train.txt"


def test_a_toml_config_trains_the_run_its_flags_train(tmp_path, text, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lm.toml").write_text('task = "lm"\ntext = "train.txt"\nlayers = 1\nhidden = 16\nbptt = 20\n'
                                      'batch-size = 4\nepochs = 1\nseed = 2\n')
    assert cli("train", "lm", "--config", "lm.toml", "--out", "from-toml") == 0
    assert cli("train", "lm", "--text", "train.txt", *FLAGS, "--out", "from-flags") == 0
    assert weights(tmp_path / "from-toml") == weights(tmp_path / "from-flags")
    args = json.loads((tmp_path / "from-toml" / "config.json").read_text())["args"]
    assert args["text"] == str(text) and os.path.isabs(args["text"])            # recorded from anywhere
    assert cli("train", "lm", "--config", "lm.toml", "--hidden", "8", "--out", "override") == 0
    assert json.loads((tmp_path / "override" / "config.json").read_text())["model"]["hidden_size"] == 8


def test_a_run_replays_from_its_config_json_in_another_folder(tmp_path, text, monkeypatch):
    assert cli("train", "lm", "--text", text, *FLAGS, "--out", tmp_path / "x") == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli("train", "lm", "--config", tmp_path / "x" / "config.json", "--out", "y") == 0
    assert weights(elsewhere / "y") == weights(tmp_path / "x")
    model = rnnkit.train("lm", config=tmp_path / "x" / "config.json", out=elsewhere / "z")
    assert weights(elsewhere / "z") == weights(tmp_path / "x") and model.run_config["args"]["hidden"] == 16


def test_the_same_file_by_another_name_resumes(tmp_path, text, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("train", "lm", "--text", "train.txt", *FLAGS, "--out", "run") == 0
    assert cli("train", "lm", "--text", text, "--out", "run", "--resume", "--epochs", "2") == 0
    (tmp_path / "other.txt").write_text(TEXT)
    assert cli("train", "lm", "--text", "other.txt", "--out", "run", "--resume", "--epochs", "3") == 2


@pytest.mark.parametrize("name, content, message", [
    ("missing.toml", None, "missing.toml: cannot read the config file"),
    ("bad.toml", "hidden = = 3\n", "bad.toml: not valid TOML"),
    ("unknown.toml", "hiden = 16\n", "unknown.toml: 'hiden' is not an option of `rnnkit train lm` (did you mean "
                                     "'hidden'"),
    ("other.toml", 'task = "tag"\n', "other.toml: a config of `rnnkit train tag`, not of `rnnkit train lm`"),
    ("value.toml", "hidden = -2\n", "argument --hidden: must be a positive integer, got -2"),
    ("table.toml", "[model]\nhidden = 2\n", "table.toml: 'model' is a table"),
    ("binary.toml", b"\xff\xfe\x00", "binary.toml: not a text file"),
    ("config.json", '{"task": "tag", "args": {}}', "config.json: a config of `rnnkit train tag`"),
    ("plain.json", "[1, 2]", "plain.json: not a run's config.json"),
])
def test_a_bad_config_is_one_line_and_status_2(tmp_path, text, capsys, name, content, message):
    if content is not None:
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    assert cli("train", "lm", "--text", text, "--out", tmp_path / "run", "--config", tmp_path / name) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    with pytest.raises(RnnkitError, match="rnnkit.train\\('lm'\\)|" + message.split(":")[0]):
        rnnkit.train("lm", TEXT, config=tmp_path / name)


def test_a_required_option_may_come_from_the_config_or_is_asked_for(tmp_path, capsys):
    assert cli("train", "lm", "--out", tmp_path / "run") == 2
    assert "rnnkit train lm: the following arguments are required: --text" in capsys.readouterr().err
