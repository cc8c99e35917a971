"""What a user's run directory survives: Ctrl-C at any moment, damaged or crafted files,
folders that cannot be written, and options changed on --resume.  Every failure is one line on
stderr with exit status 2."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
from safetensors.torch import load_file

from rnnkit.cli.main import main
from rnnkit.training import RunDir
from tests.cli.conftest import FAST, TEXT, small_lm

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return small_lm(tmp_path_factory.mktemp("reliability"), 300, "--epochs", "1")


def one_line_error(args, capsys, *expected: str) -> str:
    code = main(args)
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


def copy_run(trained, tmp_path):
    shutil.copytree(trained / "run", tmp_path / "run")
    return RunDir(tmp_path / "run")


def evaluate(run, trained):
    return ["evaluate", str(run.path), "--test", str(trained / "test.txt")]


# -- config.json and the weights file ---------------------------------------------------------

def set_model_option(run, **changes):
    config = run.read_config()
    config["model"].update(changes)
    run.config.write_text(json.dumps(config))


@pytest.mark.parametrize("changes,file,expected", [
    ({"hidden_size": -5}, "config.json", "hidden_size must be a positive int, got -5"),
    ({"hidden_size": "256"}, "config.json", "hidden_size must be a positive int, got '256'"),
    ({"dropout": 7}, "config.json", "between 0 and 1"),
    ({"colour": "blue"}, "config.json", "colour"),
    ({"hidden_size": 12000}, "model.safetensors", "does not fit"),   # was built first: 7 GB, 19 s
    ({"hidden_size": 10 ** 9}, "config.json", "do not describe a lm model"),   # beyond any memory
], ids=["negative", "string", "dropout", "unknown_key", "large", "huge"])
def test_crafted_model_options_are_refused_before_any_allocation(trained, tmp_path, capsys, changes, file, expected):
    run = copy_run(trained, tmp_path)
    set_model_option(run, **changes)
    one_line_error(evaluate(run, trained), capsys, file, expected)


@pytest.mark.parametrize("config,expected", [
    ([1, 2, 3], "expected a JSON object, found a list"),
    ({"task": "lm"}, 'has no "model" entry'),
    ({"task": "poetry", "model": {}}, '"task" must be one of'),
    ({"task": "lm", "model": [1]}, '"model" must be a JSON object'),
], ids=["list", "no_model", "unknown_task", "model_not_object"])
def test_malformed_config_json(trained, tmp_path, capsys, config, expected):
    run = copy_run(trained, tmp_path)
    run.config.write_text(json.dumps(config))
    one_line_error(evaluate(run, trained), capsys, "config.json", expected)


def test_task_that_does_not_match_the_weights(trained, tmp_path, capsys):
    run = copy_run(trained, tmp_path)
    config = run.read_config()
    config.update(task="classify", model={"vocab_size": 30, "num_classes": 2})
    run.config.write_text(json.dumps(config))
    one_line_error(["classify", str(run.path)], capsys, "model.safetensors does not fit the classify model")


def test_truncated_weights_file(trained, tmp_path, capsys):
    run = copy_run(trained, tmp_path)
    data = run.model.read_bytes()
    for cut in (len(data) // 2, 5):
        run.model.write_bytes(data[:cut])
        one_line_error(["generate", str(run.path), "--length", "5"], capsys, "model.safetensors")


# -- folders that cannot be written ------------------------------------------------------------

def test_out_that_cannot_be_made_is_refused_before_training(trained, tmp_path, capsys):
    text = str(trained / "train.txt")
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for out, expected in [(a_file / "run", "is a file, not a folder"), (a_file, "is a file, not a folder"),
                          ("/proc/rnnkit-run", "not writable")]:
        one_line_error(["train", "lm", "--text", text, "--out", str(out), "--epochs", "1", *FAST], capsys, expected)


def test_output_into_an_unwritable_folder_is_refused_before_the_work(trained, capsys):
    one_line_error(["evaluate", str(trained / "run"), "--test", str(trained / "test.txt"),
                    "--output", "/proc/translations.txt"], capsys, "/proc", "not writable")


# -- resume --------------------------------------------------------------------------------------

def test_resume_refuses_changed_options_and_records_new_budgets(trained, tmp_path, capsys):
    run = copy_run(trained, tmp_path)
    text = str(trained / "train.txt")
    resume = ["train", "lm", "--out", str(run.path), "--resume", *FAST]
    one_line_error([*resume, "--text", text, "--lr", "0.5"], capsys, "--lr 0.5", "only --epochs, --max-time and --device")
    other = tmp_path / "other.txt"
    other.write_text(TEXT.upper())
    one_line_error([*resume, "--text", str(other)], capsys, "--text", "other.txt")
    assert main([*resume, "--text", text, "--epochs", "2"]) == 0
    assert run.read_config()["args"]["epochs"] == 2
    steps = [r["step"] for r in run.read_metrics() if "valid_loss" in r]
    assert len(steps) == 2 and steps == sorted(set(steps))


def test_truncated_metrics_line_does_not_break_resume(trained, tmp_path):
    run = copy_run(trained, tmp_path)
    with run.metrics.open("a") as f:
        f.write('{"step": 3, "train_lo')
    assert main(["train", "lm", "--out", str(run.path), "--resume", "--text", str(trained / "train.txt"),
                 *FAST, "--epochs", "2"]) == 0
    assert all(isinstance(r, dict) for r in run.read_metrics())


def train_command(out, *extra):
    return [sys.executable, "-m", "rnnkit.cli.main", "train", "lm", "--text", str(out.parent / "big.txt"),
            "--out", str(out), "--valid-fraction", "0", "--dropout", "0.3", "--recurrent-dropout", "0.2",
            "--epochs", "10", "--device", "cpu", *FAST, *extra]


def final_weights(run_dir):
    return load_file(str(run_dir / "model.safetensors"))


def test_sigint_at_a_random_moment_then_resume_equals_the_uninterrupted_run(tmp_path):
    """A real Ctrl-C (SIGINT) to a real training process at a random moment, with dropout."""
    (tmp_path / "big.txt").write_text(TEXT * 3)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    started = time.monotonic()
    subprocess.run(train_command(tmp_path / "straight"), env=env, check=True, capture_output=True, timeout=300)
    print(f"uninterrupted run: {time.monotonic() - started:.1f} s")
    split = tmp_path / "split"
    process = subprocess.Popen(train_command(split), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 120
    while not (split / "metrics.jsonl").exists() and time.monotonic() < deadline:   # the first steps are done
        time.sleep(0.02)
    delay = random.uniform(0.0, 1.0)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, f"delay {delay:.2f} s: {err}"
    assert "Traceback" not in err and "continue with --resume" in err
    resumed = subprocess.run(train_command(split, "--resume"), env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    a, b = final_weights(tmp_path / "straight"), final_weights(split)
    for name in a:
        assert (a[name] == b[name]).all(), f"{name} differs after a Ctrl-C {delay:.2f} s into training"


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has a GPU")
def test_a_gpu_that_is_not_there_is_refused(trained, capsys):
    one_line_error(["train", "lm", "--text", str(trained / "train.txt"), "--out", str(trained / "gpu"),
                    "--device", "cuda"], capsys, "no CUDA GPU", "--device cpu")
    one_line_error(["generate", str(trained / "run"), "--device", "cuda:3"], capsys, "no CUDA GPU")
    one_line_error(["generate", str(trained / "run"), "--device", "tpu"], capsys, "expected auto, cpu, cuda")
