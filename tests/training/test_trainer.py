"""The trainer on a tiny language model: learning, exact resume, guards, stopping rules."""
import json

import pytest
import torch

from rnnkit.data import StreamBatches
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
    assert run.model.is_file() and (run.plots / "loss.png").stat().st_size > 1000
    assert checkpoint.latest(run.checkpoints) is not None
    assert summary["stopped_by"] == "epochs" and summary["steps"] == 4 * 13


def interrupt_at(trainer, call: int) -> None:
    """Make the trainer's ``call``-th step raise KeyboardInterrupt, as Ctrl-C would."""
    real_step = trainer._train_step
    calls = {"n": 0}

    def step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    trainer._train_step = step


@pytest.mark.parametrize("stop_at,position", [(14, 0), (7, 6)], ids=["epoch_boundary", "mid_epoch"])
def test_interrupt_and_resume_is_exact(tmp_path, stop_at, position):
    straight, model_a, _ = make(tmp_path, "straight", epochs=2)
    straight.fit()
    interrupted, _, run = make(tmp_path, "split", epochs=2)
    interrupt_at(interrupted, stop_at)
    with pytest.raises(TrainingInterrupted, match=f"interrupted at step {stop_at - 1}.*--resume"):
        interrupted.fit()
    state = json.loads((checkpoint.latest(run.checkpoints) / "state.json").read_text())
    assert state["position"] == position
    assert (state["carry"] is not None) == (position > 0)     # the TBPTT state carries within an epoch
    resumed, model_c, _ = make(tmp_path, "split", resume=True, epochs=2)
    assert resumed.state["step"] == stop_at - 1
    resumed.fit()
    for (name, a), c in zip(model_a.state_dict().items(), model_c.state_dict().values()):
        assert torch.equal(a, c), name


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


def test_run_directory_is_never_overwritten(tmp_path):
    make(tmp_path, "taken")[2].write_config({"task": "lm"})
    with pytest.raises(Exception, match="already exists and is not empty; pass --resume"):
        RunDir.create(tmp_path / "taken", resume=False)
    with pytest.raises(Exception, match="not a run directory"):
        RunDir.create(tmp_path / "elsewhere", resume=True)
