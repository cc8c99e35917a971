"""The task contract, through an application registered from the tests (``summing.py``):
vectors in, one real value out, trained, evaluated, used, loaded and resumed by the same
``rnnkit`` command as the built-in tasks."""
from __future__ import annotations

import json

import pytest
import torch

import rnnkit
from rnnkit.cli.main import main
from rnnkit.tasks import TASKS, register
from rnnkit.tasks.options import options_of
from tests.tasks.summing import SequenceRegressor, SumConfig, SumTask


def write_examples(path, n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    lines, targets = [], []
    for _ in range(n):
        x = torch.rand(int(torch.randint(2, 7, (1,), generator=g)), 2, generator=g) * 2 - 1
        targets.append(float(x.sum()))
        steps = " ".join(",".join(f"{v:.4f}" for v in step) for step in x.tolist())
        lines.append(f"{steps}\t{targets[-1]:.4f}")
    path.write_text("\n".join(lines) + "\n")
    return targets


@pytest.fixture(scope="module")
def summing():
    register(SumTask)
    yield
    del TASKS["sum"]


@pytest.fixture(scope="module")
def trained(summing, tmp_path_factory):
    d = tmp_path_factory.mktemp("sum")
    write_examples(d / "train.txt", 400, 0)
    write_examples(d / "valid.txt", 50, 1)
    d.joinpath("targets").write_text(json.dumps(write_examples(d / "test.txt", 50, 2)))
    assert main(["train", "sum", "--train", str(d / "train.txt"), "--valid", str(d / "valid.txt"), "--out",
                 str(d / "run"), "--epochs", "12", "--lr", "1e-2", "--device", "cpu"]) == 0
    return d


def test_the_configuration_is_the_options():
    flags = {o.flags[0]: o for o in options_of(SumConfig)}
    assert {"--train", "--valid", "--cell", "--hidden", "--out", "--epochs", "--lr"} <= set(flags)
    assert flags["--cell"].default == "gru" and flags["--hidden"].default == 32   # like(): the task's defaults
    assert flags["--hidden"].help == "units per layer (and direction)"              # ...with the shared help


def test_a_registered_task_trains_evaluates_and_predicts(trained, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(trained / "run"), "--test", str(trained / "test.txt"), "--json"]) == 0
    targets = torch.tensor(json.loads((trained / "targets").read_text()))
    mse = json.loads(capsys.readouterr().out)["mse"]
    assert mse < 0.1 * float(targets.var())   # far better than guessing the mean
    assert main(["sum", str(trained / "run"), str(trained / "test.txt")]) == 0
    predicted = torch.tensor([float(v) for v in capsys.readouterr().out.split()])
    assert predicted.shape == targets.shape
    assert abs(float(((predicted - targets) ** 2).mean()) - mse) < 1e-3


def test_rnnkit_load_gives_the_tasks_model(trained):
    model = rnnkit.load(trained / "run", device="cpu")
    assert isinstance(model, SequenceRegressor) and not model.training
    assert model.run_config["task"] == "sum" and model.run_config["args"]["cell"] == "gru"


def test_resume_and_its_checks_work_for_it(trained, capsys):
    run = str(trained / "run")
    assert main(["train", "sum", "--out", run, "--resume", "--epochs", "13"]) == 0
    steps = [json.loads(line)["step"] for line in (trained / "run" / "metrics.jsonl").read_text().splitlines()]
    assert max(steps) == 13 * 25   # 400 examples in batches of 16
    capsys.readouterr()
    assert main(["train", "sum", "--out", run, "--resume", "--hidden", "8"]) == 2
    assert "--hidden 8 (the run has 32)" in capsys.readouterr().err


def test_evaluate_names_the_tasks_own_flags(trained, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(trained / "run"), "--src", str(trained / "test.txt")]) == 2
    assert "holds a sequence regressor: give --test FILE instead of --src" in capsys.readouterr().err


def test_an_occupied_out_is_refused_before_any_data_is_read(trained, tmp_path, capsys):
    capsys.readouterr()
    assert main(["train", "sum", "--train", str(tmp_path / "missing.txt"), "--out", str(trained / "run")]) == 2
    err = capsys.readouterr().err
    assert "run: already exists and is not empty" in err and "missing.txt" not in err
    assert main(["train", "lm", "--out", str(trained / "run"), "--resume"]) == 2
    assert "holds a sequence regressor, not a language model; resume it with `rnnkit train sum" in \
        capsys.readouterr().err
