"""The trainer on a tiny language model: learning, exact resume, guards, stopping rules."""
import json
import math
import os
import signal

import pytest
import torch

from rnnkit.data import StreamBatches
from rnnkit.engine import native
from rnnkit.models import LanguageModel
from rnnkit.training import RunDir, Schedule, Trainer, TrainingDiverged, TrainingInterrupted, TrainOptions
from rnnkit.training import checkpoint

TEXT = torch.tensor([i % 7 for i in range(400)] + [3, 1, 4, 1, 5] * 20)


def make(tmp_path, name="run", resume=False, **options):
    torch.manual_seed(0)
    model = LanguageModel(8, embedding_dim=12, hidden_size=16, num_layers=2, dropout=0.2, recurrent_dropout=0.1)
    run = RunDir.create(tmp_path / name, resume=resume)
    if not resume:
        run.write_config({"task": "lm"})
    train = StreamBatches(TEXT, batch_size=4, window=10)
    valid = StreamBatches(TEXT[:120], batch_size=1, window=30)
    defaults = dict(epochs=3, lr=0.01, schedule=Schedule("cosine", base_lr=0.01), log_every=5, checkpoint_every=1e9)
    defaults.update(options)
    trainer = Trainer(model, run, TrainOptions(**defaults), batches=lambda epoch: train,
                      step=lambda m, b, carry: m.loss(*b, carry),
                      evaluate=lambda: {"loss": model.stream_nats(valid)[0] / model.stream_nats(valid)[1]},
                      resume=resume)
    return trainer, model, run


def test_loss_falls_and_run_directory_is_complete(tmp_path):
    trainer, model, run = make(tmp_path, epochs=4)
    summary = trainer.fit()
    records = run.read_metrics()
    valid = [r["valid_loss"] for r in records if "valid_loss" in r]
    assert len(valid) == 4 and valid[-1] < valid[0] - 0.5
    assert any("train_loss" in r and "grad_norm" in r and "tokens_per_s" in r for r in records)
    assert all(r["grad_norm_max"] >= r["grad_norm"] for r in records if "grad_norm" in r)
    assert run.model.is_file() and (run.plots / "loss.png").stat().st_size > 1000
    assert checkpoint.latest(run.checkpoints) is not None
    assert summary["stopped_by"] == "epochs" and summary["steps"] == 4 * 13


def interrupt_at(trainer, call: int) -> None:
    """Press Ctrl-C in the middle of the trainer's ``call``-th step: SIGINT arrives after the
    step's dropout masks are drawn, before its backward pass and update."""
    real_step = trainer.step_fn
    calls = {"n": 0}

    def step(*args):
        out = real_step(*args)
        calls["n"] += 1
        if calls["n"] == call:
            os.kill(os.getpid(), signal.SIGINT)
        return out

    trainer.step_fn = step


def assert_same_weights(a, b):
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), name


@pytest.mark.parametrize("stop_at,epoch,position", [(13, 0, 13), (7, 0, 7), (20, 1, 7)],
                         ids=["epoch_end", "mid_epoch", "second_epoch"])
def test_sigint_mid_step_and_resume_is_exact(tmp_path, stop_at, epoch, position):
    straight, model_a, _ = make(tmp_path, "straight", epochs=2)
    straight.fit()
    interrupted, _, run = make(tmp_path, "split", epochs=2)
    interrupt_at(interrupted, stop_at)
    before = signal.getsignal(signal.SIGINT)   # Python's default; ignored where started as a background job
    with pytest.raises(TrainingInterrupted, match=f"interrupted at step {stop_at}.*--resume"):
        interrupted.fit()
    state = json.loads((checkpoint.latest(run.checkpoints) / "state.json").read_text())
    assert (state["step"], state["epoch"], state["position"]) == (stop_at, epoch, position)
    assert state["carry"] is not None     # the TBPTT state carries within an epoch
    assert signal.getsignal(signal.SIGINT) is before   # Ctrl-C works as it did before
    resumed, model_c, _ = make(tmp_path, "split", resume=True, epochs=2)
    assert resumed.state["step"] == stop_at
    resumed.fit()
    assert_same_weights(model_a, model_c)
    steps = [r["step"] for r in run.read_metrics() if "valid_loss" in r]
    assert steps == sorted(set(steps))    # each evaluation logged once


def test_second_sigint_stops_at_once_without_a_checkpoint(tmp_path):
    trainer, _, run = make(tmp_path)
    real_step = trainer.step_fn

    def step(*args):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        return real_step(*args)

    trainer.step_fn = step
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    assert checkpoint.latest(run.checkpoints) is None


def two_second_steps(trainer, clock: dict, lrs: list, interrupt_after: int | None = None) -> None:
    """Every step takes 2 s on ``clock`` and records its learning rate; Ctrl-C after some steps."""
    real_step = trainer.step_fn

    def step(m, b, carry):
        clock["now"] += 2.0
        lrs.append(trainer.optimizer.param_groups[0]["lr"])
        if len(lrs) == interrupt_after:
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(m, b, carry)

    trainer.step_fn = step


def test_time_budget_and_schedule_count_over_the_whole_run(tmp_path, monkeypatch):
    """--max-time is the run's total: a resumed run continues the cosine schedule where it was
    and stops when the run as a whole has trained that long."""
    clock = {"now": 0.0}
    monkeypatch.setattr("rnnkit.training.trainer.time.monotonic", lambda: clock["now"])
    first, second = [], []
    trainer, _, run = make(tmp_path, epochs=None, max_time=100.0)
    two_second_steps(trainer, clock, first, interrupt_after=20)
    with pytest.raises(TrainingInterrupted):
        trainer.fit()
    resumed, _, _ = make(tmp_path, resume=True, epochs=None, max_time=100.0)
    two_second_steps(resumed, clock, second)
    assert resumed.fit()["stopped_by"] == "time"
    assert len(first) + len(second) == 50                     # 100 s in all, not 100 s per invocation
    assert second[0] < first[-1] and second == sorted(second, reverse=True)   # the cosine goes on decaying
    evaluations = [r["step"] for r in run.read_metrics() if "valid_loss" in r]
    assert evaluations == sorted(set(evaluations))


def test_a_slow_machine_trains_the_same_schedule_cut_short(tmp_path, monkeypatch):
    """Beside epochs or steps a time budget only stops the run: the schedule follows the steps,
    so a busy machine trains the first steps of the same run (the learning rates agree)."""
    clock = {"now": 0.0}
    monkeypatch.setattr("rnnkit.training.trainer.time.monotonic", lambda: clock["now"])
    fast, slow = [], []
    trainer, _, _ = make(tmp_path, "fast", epochs=2)
    two_second_steps(trainer, clock, fast)
    assert trainer.fit()["stopped_by"] == "epochs"
    trainer, _, _ = make(tmp_path, "slow", epochs=2, max_time=len(fast) * 2.0 / 3)
    two_second_steps(trainer, clock, slow)
    assert trainer.fit()["stopped_by"] == "time"
    assert 0 < len(slow) < len(fast) and slow == fast[: len(slow)]


def test_a_step_budget_stops_within_an_epoch_and_paces_the_schedule(tmp_path):
    lrs = []
    trainer, _, _ = make(tmp_path, epochs=3, max_steps=7)
    two_second_steps(trainer, {"now": 0.0}, lrs)
    summary = trainer.fit()
    assert summary["stopped_by"] == "steps" and summary["steps"] == 7 and summary["epochs"] == 0
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(0.01 * 0.5 * (1 + math.cos(math.pi * 6 / 7)))
    with pytest.raises(ValueError, match="epochs or steps"):
        TrainOptions(epochs=None)


def test_resume_at_the_end_logs_nothing_twice(tmp_path):
    trainer, _, run = make(tmp_path, epochs=2)
    trainer.fit()
    before = run.read_metrics()
    again, _, _ = make(tmp_path, resume=True, epochs=2)
    again.fit()
    assert run.read_metrics() == before


def test_resume_drops_records_after_the_checkpoint_and_a_cut_line(tmp_path):
    """After a kill -9 the log may run past the latest checkpoint and end in half a line."""
    trainer, _, run = make(tmp_path, epochs=1)
    trainer.fit()
    step = trainer.state["step"]
    with run.metrics.open("a") as f:
        f.write(json.dumps({"step": step + 5, "train_loss": 1.0}) + "\n" + '{"step": 99, "train_lo')
    assert run.read_metrics()[-1]["step"] == step + 5    # the cut line is left out, not an error
    make(tmp_path, resume=True, epochs=1)
    assert max(r["step"] for r in run.read_metrics()) == step
    assert run.metrics.read_text().endswith("}\n")


def test_damaged_latest_checkpoint_falls_back_to_the_previous(tmp_path):
    trainer, _, run = make(tmp_path, epochs=2, checkpoint_every=0.0)
    trainer.fit()
    newest = checkpoint.latest(run.checkpoints)
    data = (newest / "model.safetensors").read_bytes()
    (newest / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match=f"{newest.name} is damaged.*resuming from the one before"):
        resumed, _, _ = make(tmp_path, resume=True, epochs=2)
    assert resumed.state["step"] == int(newest.name.split("-")[1]) - 1


def test_non_finite_loss_is_skipped_then_diverges(tmp_path):
    trainer, model, run = make(tmp_path)
    real = trainer.step_fn
    calls = {"n": 0}

    def sometimes_nan(m, b, carry):
        calls["n"] += 1
        nats, n, state = real(m, b, carry)
        return (nats * float("nan") if calls["n"] in (3, 4) else nats), n, state

    trainer.step_fn = sometimes_nan
    trainer.opt.epochs = 1
    trainer.fit()
    assert trainer.schedule.backoff == 0.25 and trainer.state["step"] == 13 - 2
    assert all(torch.isfinite(p).all() for p in model.parameters())

    trainer2, model2, run2 = make(tmp_path, "nan")
    trainer2.step_fn = lambda m, b, carry: (real(m, b, carry)[0] * float("inf"), 1, None)
    with pytest.raises(TrainingDiverged, match="5 non-finite losses in a row"):
        trainer2.fit()
    assert run2.model.is_file()


def test_early_stopping_and_time_budget(tmp_path):
    trainer, _, _ = make(tmp_path, "early", epochs=50, eval_every=2, patience=2, lr=5.0,
                         schedule=Schedule("constant", base_lr=5.0))
    summary = trainer.fit()
    assert summary["stopped_by"] == "early stopping" and summary["epochs"] < 50
    timed, _, run = make(tmp_path, "timed", epochs=None, max_time=0.5)
    summary = timed.fit()
    assert summary["stopped_by"] == "time" and run.model.is_file()


def test_equal_scores_keep_the_weights_of_the_lower_validation_loss(tmp_path):
    from safetensors.torch import load_file

    trainer, model, run = make(tmp_path, epochs=3)
    scripted = iter([{"accuracy": 1.0, "loss": 0.5}, {"accuracy": 1.0, "loss": 0.1}, {"accuracy": 1.0, "loss": 0.3}])
    seen = []

    def evaluate():
        seen.append({k: v.clone() for k, v in model.state_dict().items()})
        return next(scripted)

    trainer.evaluate_fn, trainer.select, trainer.sign = evaluate, "accuracy", -1.0
    trainer.fit()
    kept = load_file(str(run.model))
    second = seen[1]
    assert any(not torch.equal(second[k], seen[2][k]) for k in second)
    assert set(kept) == set(second) and all(torch.equal(kept[k], second[k]) for k in kept)


def test_run_directory_is_never_overwritten(tmp_path):
    make(tmp_path, "taken")[2].write_config({"task": "lm"})
    with pytest.raises(Exception, match="already exists and is not empty; pass --resume"):
        RunDir.create(tmp_path / "taken", resume=False)
    with pytest.raises(Exception, match="not a run directory"):
        RunDir.create(tmp_path / "elsewhere", resume=True)


def test_resume_before_the_first_checkpoint_starts_again(tmp_path):
    straight, model_a, _ = make(tmp_path, "straight", epochs=1)
    straight.fit()
    make(tmp_path, "killed", epochs=1)          # killed after config.json, before any checkpoint
    with pytest.warns(UserWarning, match="stopped before its first checkpoint"):
        again, model_b, _ = make(tmp_path, "killed", resume=True, epochs=1)
    again.fit()
    assert_same_weights(model_a, model_b)


def test_a_write_cut_by_a_kill_is_cleared_by_the_next_checkpoint(tmp_path):
    trainer, _, run = make(tmp_path, epochs=1)
    unfinished = run.checkpoints / ".step-00000003.tmp"
    unfinished.mkdir(parents=True)
    (unfinished / "model.safetensors").write_bytes(b"\0" * 10)
    trainer.fit()
    assert not unfinished.exists() and checkpoint.latest(run.checkpoints).name == "step-00000013"


def test_a_start_killed_before_config_json_can_be_started_again(tmp_path):
    run = RunDir.create(tmp_path / "r", resume=False)
    (run.path / "vocab.json").write_text("{}")            # killed here: no config.json yet
    assert RunDir.create(tmp_path / "r", resume=False, own_files=("vocab.json",)).path == run.path
    with pytest.raises(Exception, match="already exists and is not empty"):   # not a file of this task
        RunDir.create(tmp_path / "r", resume=False, own_files=("chars.json",))
    (run.path / "notes.txt").write_text("the user's")
    with pytest.raises(Exception, match="already exists and is not empty"):
        RunDir.create(tmp_path / "r", resume=False, own_files=("vocab.json",))


def test_compiling_the_cpp_loop_is_not_training_time(tmp_path, monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr("rnnkit.training.trainer.time.monotonic", lambda: clock["now"])
    real_get = native.get

    def first_use_compiles_for_500_seconds():
        if not clock.get("compiled"):
            clock["now"] += 500.0
            clock["compiled"] = True
        return real_get()

    monkeypatch.setattr(native, "get", first_use_compiles_for_500_seconds)
    trainer, _, _ = make(tmp_path, epochs=None, max_time=100.0)
    two_second_steps(trainer, clock, [])
    summary = trainer.fit()
    assert summary["stopped_by"] == "time" and summary["steps"] == 50


def test_evaluation_restores_training_mode_even_when_it_fails(tmp_path):
    from rnnkit.models.modes import evaluating

    trainer, model, _ = make(tmp_path)
    model.train()
    with pytest.raises(RuntimeError, match="broken"):
        with evaluating(model):
            assert not model.training and not torch.is_grad_enabled()
            raise RuntimeError("broken")
    assert model.training and torch.is_grad_enabled()

    def failing():
        assert not model.training
        raise RuntimeError("broken metric")

    trainer.evaluate_fn = failing
    with pytest.raises(RuntimeError, match="broken metric"):
        trainer._evaluate(None)
    assert model.training


def test_the_loss_plot_states_the_unit_and_the_selection_metric_of_the_task(tmp_path, monkeypatch):
    labels = []
    monkeypatch.setattr("rnnkit.training.trainer.plot_loss",
                        lambda records, path, ylabel, metric: labels.append((ylabel, metric)))
    trainer, _, _ = make(tmp_path, epochs=1)
    trainer.unit = "example"
    trainer.fit()
    assert labels and set(labels) == {("loss (nats/example)", "loss")}         # the metric that selects
