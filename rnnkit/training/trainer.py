"""The training loop shared by every task.

The caller supplies the data and the maths of one step; the trainer does the rest:
optimizer (AdamW or SGD), learning-rate schedule, clipping by global norm (the norm before
clipping is logged), the hidden state carried between truncated-BPTT windows (detached after
every step), evaluation on a schedule with the best weights kept, early stopping, a step budget,
a wall-clock budget (which only stops the run where epochs or steps pace the schedule), atomic
checkpoints with exact resume, a guard against non-finite losses, a progress bar on stderr,
``metrics.jsonl`` and ``plots/loss.png``.

A run is one run however often it is resumed: the epochs, the time budget and the schedule's
progress count from its start, across invocations.  Ctrl-C (SIGINT) is honoured between steps,
so the checkpoint it leaves describes the state after a whole step and resuming from it gives
bit for bit the run that was never interrupted (a second Ctrl-C stops at once, leaving the
previous checkpoint).  Compiling the C++ time loop happens before the clock starts.

A step function takes ``(model, batch, carry)`` and returns ``(summed_loss, count, carry)``:
the loss summed over ``count`` predictions (the trainer optimises the mean) and the state to
carry into the next batch of the epoch (None where nothing carries).

In data-parallel training (``rnnkit.training.distributed``) the step runs inside
DistributedDataParallel on every rank: rank r of N reads batches r, r + N, ... of each epoch (or,
where the task shards its data itself, its own batches), the mean is taken over the predictions
of all ranks together, every rank evaluates, decides when to stop and checkpoints in step with the
others, and only rank 0 writes.
"""
from __future__ import annotations

import math
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import torch
from tqdm import tqdm

from rnnkit.devices import device_of, to_device
from rnnkit.engine import native
from rnnkit.errors import RnnkitError
from rnnkit.models.modes import evaluating
from rnnkit.training import checkpoint, distributed
from rnnkit.training.metrics import perplexity
from rnnkit.training.board import open_board, write_record
from rnnkit.training.plots import plot_loss
from rnnkit.training.rundir import RunDir
from rnnkit.training.schedule import Schedule

OPTIMIZERS = ("adamw", "sgd")
UNIT_SHORT = {"token": "tok", "example": "ex", "sentence": "sent"}
MAX_BAD_STEPS = 5   # non-finite losses in a row before giving up
PLOT_EVERY = 20.0   # seconds between redrawings of plots/loss.png after a validation (always drawn at the end)


class TrainingInterrupted(Exception):
    """Ctrl-C: a checkpoint was saved; the run can be resumed."""


class TrainingDiverged(RnnkitError):
    """The loss stayed non-finite although the learning rate was lowered."""


@dataclass
class TrainOptions:
    epochs: int | None = None              # in all, counted from the run's start
    max_steps: int | None = None           # optimizer steps in all: the run stops there, within an epoch
    max_time: float | None = None          # seconds of training in all, over every invocation
    lr: float = 2e-3
    optimizer: str = "adamw"
    weight_decay: float = 0.01
    momentum: float = 0.0
    clip: float = 1.0
    schedule: Schedule = field(default_factory=Schedule)
    eval_every: int | None = None          # steps; None: after every epoch
    patience: int | None = None            # evaluations without improvement before stopping
    log_every: int = 50
    checkpoint_every: float = 300.0        # seconds
    reset_carry_each_epoch: bool = True
    tensorboard: str | None = None         # a folder for TensorBoard's event files

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.epochs is None and self.max_steps is None and self.max_time is None:
            raise ValueError("give a number of epochs or steps, a time budget, or both")


def make_optimizer(params, options: TrainOptions) -> torch.optim.Optimizer:
    if options.optimizer == "sgd":
        return torch.optim.SGD(params, lr=options.lr, momentum=options.momentum, weight_decay=options.weight_decay)
    return torch.optim.AdamW(params, lr=options.lr, weight_decay=options.weight_decay)


def detach(carry):
    if carry is None:
        return None
    if isinstance(carry, torch.Tensor):
        return carry.detach()
    return tuple(detach(c) for c in carry)


class _Step(torch.nn.Module):
    """A step function as a module's forward, for DistributedDataParallel to wrap."""

    def __init__(self, model: torch.nn.Module, step: Callable):
        super().__init__()
        self.model, self.step = model, step

    def forward(self, batch, carry):
        return self.step(self.model, batch, carry)


class Trainer:
    def __init__(self, model: torch.nn.Module, run: RunDir, options: TrainOptions, *,
                 batches: Callable[[int], Sequence], step: Callable, evaluate: Callable[[], dict] | None = None,
                 resume: bool = False, unit: str = "token", show_perplexity: bool = False, select: str = "loss",
                 maximize: bool = False, sharded: bool = False):
        """``unit``: what a step's ``count`` counts (for the speed shown and logged as
        ``{unit}s_per_s``); ``select``: the validation metric that picks the best weights, drives
        the plateau schedule and early stopping (lower is better unless ``maximize``; equal scores go
        to the lower validation loss); ``sharded``: in data-parallel training, ``batches`` already
        gives this rank's own batches (as many on every rank)."""
        self.model, self.run, self.opt = model, run, options
        self.world, self.sharded = distributed.current(), sharded
        self.select, self.sign = select, -1.0 if maximize else 1.0
        self.batches, self.step_fn, self.evaluate_fn = batches, step, evaluate
        self.unit, self.show_perplexity = unit, show_perplexity
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.device = device_of(model)   # batches are moved there
        self.forward = _Step(model, lambda m, batch, carry: self.step_fn(m, batch, carry))
        if self.world.size > 1:
            from torch.nn.parallel import DistributedDataParallel
            torch.manual_seed(torch.initial_seed() + 1_000_003 * self.world.rank)   # each rank its own dropout
            self.forward = DistributedDataParallel(self.forward, static_graph=True,
                                                   device_ids=[self.device] if self.device.type == "cuda" else None)
        self.optimizer = make_optimizer(self.params, options)
        self.schedule = options.schedule
        self.state = {"step": 0, "epoch": 0, "position": 0, "best": math.inf, "best_tie": math.inf,
                      "evals_without_improvement": 0, "tokens": 0, "train_seconds": 0.0, "evaluated_at": -1}
        self.carry = None
        self.bad_in_a_row = 0
        self.board = None
        if resume:
            try:
                state, self.carry = checkpoint.load_latest(run.checkpoints, model, self.optimizer,
                                                           rank=self.world.rank, world_size=self.world.size)
            except checkpoint.NoCheckpoint:
                warnings.warn(f"{run.path}: the run stopped before its first checkpoint; it starts again "
                              "from the beginning")
                state = {"schedule": self.schedule.state_dict()}
            self.carry = to_device(self.carry, self.device)   # checkpoints keep tensors on the CPU
            self.schedule = Schedule.from_state(state.pop("schedule"))
            state.pop("options", None)
            self.state.update(state)
            if self.world.main:
                run.keep_metrics_until(self.state["step"])
        if options.tensorboard and self.world.main:
            self.board = open_board(options.tensorboard, purge_step=self.state["step"] + 1 if resume else None)

    # -- the loop -------------------------------------------------------------------------
    def fit(self) -> dict:
        """Train until the epochs are done, the time budget is spent, or early stopping; return
        a summary.  Ctrl-C raises TrainingInterrupted after the current step and a checkpoint."""
        opt, st = self.opt, self.state
        native.get()   # a first-use compile is not training time
        self._start = self._last_checkpoint = time.monotonic()
        self._last_plot = -math.inf
        self._prior_seconds = st["train_seconds"]
        self._window = {"loss": 0.0, "count": 0, "norm": 0.0, "norm_max": 0.0, "steps": 0, "tokens": 0,
                        "time": self._start}
        stop = None
        with _interrupt_between_steps() as self._interrupt:
            while stop is None and (opt.epochs is None or st["epoch"] < opt.epochs):
                stop = self._epoch()
        if stop == "interrupted":
            self._finish(final_eval=False)
            raise TrainingInterrupted(f"interrupted at step {st['step']}; checkpoint saved in "
                                      f"{self.run.checkpoints}; continue with --resume")
        self._finish(final_eval=True)
        return {"stopped_by": stop or "epochs", "steps": st["step"], "epochs": st["epoch"],
                "best_valid": self.sign * st["best"], "selected_on": self.select,
                "seconds": time.monotonic() - self._start, "tokens": st["tokens"]}

    def _epoch(self) -> str | None:
        """Train from the current position to the end of the epoch: None, or why to stop."""
        opt, st = self.opt, self.state
        data = self.batches(st["epoch"])
        steps = len(data) if self.sharded or self.world.size == 1 else -(-len(data) // self.world.size)
        shown = steps if opt.max_steps is None else min(steps, opt.max_steps - st["step"] + st["position"])
        with tqdm(total=shown, initial=st["position"], desc=f"epoch {st['epoch'] + 1}", file=sys.stderr,
                  dynamic_ncols=True, mininterval=0.5, leave=False, disable=not self.world.main) as bar:
            while st["position"] < steps:
                interrupted, out_of_time, _ = self._agreed()
                if interrupted:
                    return "interrupted"
                if out_of_time:
                    return "time"
                if opt.max_steps is not None and st["step"] >= opt.max_steps:
                    return "steps"
                took = self._train_step(*self._batch(data, st["position"]), progress=self._progress(steps))
                st["position"] += 1
                bar.update()
                if self._window["steps"] and st["step"] % opt.log_every == 0:
                    self._log_window(bar)
                if took and opt.eval_every and st["step"] % opt.eval_every == 0:
                    self._evaluate(bar)
                    if self._early_stop():
                        return "early stopping"
                if self._agreed()[2]:
                    self._checkpoint()
        if self._agreed()[0]:   # the epoch's end comes first thing on resume
            return "interrupted"
        st["epoch"] += 1
        st["position"] = 0
        if opt.reset_carry_each_epoch:
            self.carry = None
        if opt.eval_every is None:
            self._evaluate(None)
            if self._early_stop():
                return "early stopping"
        return None

    def _agreed(self) -> tuple[bool, bool, bool]:
        """Whether to stop for Ctrl-C, whether the time budget is spent and whether a checkpoint is
        due: decided by all ranks together (any rank's yes is everyone's)."""
        opt = self.opt
        flags = [float(self._interrupt.is_set()), float(opt.max_time is not None and self._elapsed() >= opt.max_time),
                 float(time.monotonic() - self._last_checkpoint >= opt.checkpoint_every)]
        if self.world.size > 1:
            flags = distributed.all_max(flags, self.device)
        return bool(flags[0]), bool(flags[1]), bool(flags[2])

    def _batch(self, data: Sequence, position: int) -> tuple[object, bool]:
        """This rank's batch of step ``position`` and whether it counts: rank r of N reads batch
        ``N * position + r``; a rank left without one at the end of an epoch runs the last batch
        and counts nothing, so that every rank takes part in every step."""
        if self.sharded or self.world.size == 1:
            return data[position], True
        index = self.world.size * position + self.world.rank
        return (data[index], True) if index < len(data) else (data[len(data) - 1], False)

    def _elapsed(self) -> float:
        """Seconds of training so far, over every invocation of this run."""
        return self._prior_seconds + time.monotonic() - self._start

    def _progress(self, batches_per_epoch: int) -> float:
        """How far the run is, in [0, 1], for the schedule: steps over the planned steps where
        epochs or steps are given, else time over the time budget. A time budget beside them only
        stops the run, so that a slow or busy machine trains the same run, cut short."""
        opt, st = self.opt, self.state
        planned = [n for n in (opt.max_steps, opt.epochs and opt.epochs * batches_per_epoch) if n]
        if planned:
            return (st["epoch"] * batches_per_epoch + st["position"]) / min(planned)
        return self._elapsed() / opt.max_time

    def _train_step(self, batch, counts: bool, progress: float) -> int:
        st = self.state
        lr = self.schedule.lr(st["step"], st["epoch"], progress)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.model.train()
        loss_sum, count, carry = self.forward(to_device(batch, self.device), self.carry)
        if not counts:
            loss_sum, count = loss_sum * 0.0, 0
        finite = bool(torch.isfinite(loss_sum))
        total = count
        if self.world.size > 1:   # the mean over every rank's predictions; DDP averages over ranks
            total, finite_ranks = distributed.all_sum([count, float(finite)], self.device)
            total, finite = int(total), finite_ranks == self.world.size
        loss = loss_sum / max(count, 1) if self.world.size == 1 else loss_sum * (self.world.size / max(total, 1))
        if not finite:
            if self.world.size > 1:   # DDP expects the backward of every forward
                (loss_sum * 0.0).backward()
            self._bad_step(f"loss is {loss_sum.item() if not torch.isfinite(loss_sum) else 'not finite on a rank'}")
            return 0
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.params, self.opt.clip if self.opt.clip > 0 else math.inf)
        if not torch.isfinite(norm):
            self._bad_step(f"gradient norm is {norm.item()}")
            return 0
        self.optimizer.step()
        self.bad_in_a_row = 0
        self.carry = detach(carry)
        st["step"] += 1
        st["tokens"] += total
        w = self._window
        w["loss"] += float(loss_sum.detach())
        w["count"] += count
        w["norm"] += float(norm)
        w["norm_max"] = max(w["norm_max"], float(norm))
        w["steps"] += 1
        w["tokens"] += total
        return total

    def _bad_step(self, reason: str) -> None:
        """Skip the step, drop the carried state, halve the learning rate; give up after
        MAX_BAD_STEPS in a row."""
        self.optimizer.zero_grad(set_to_none=True)
        self.carry = None
        self.bad_in_a_row += 1
        self.schedule.backoff *= 0.5
        say = print if self.world.main else (lambda *args, **kwargs: None)
        say(f"step {self.state['step']}: {reason}; step skipped, learning rate scaled by "
              f"{self.schedule.backoff:g}", file=sys.stderr)
        if self.bad_in_a_row >= MAX_BAD_STEPS:
            if self.world.main and not self.run.model.exists():
                self.run.save_weights(self.model)   # the weights are still the last finite ones
            raise TrainingDiverged(f"training diverged: {MAX_BAD_STEPS} non-finite losses in a row at step "
                                   f"{self.state['step']} although the learning rate was lowered; "
                                   f"try a smaller --lr or --clip")

    def _log_window(self, bar) -> None:
        w = self._window
        if self.world.size > 1:   # every rank's share of the window
            w["loss"], w["count"] = distributed.all_sum([w["loss"], w["count"]], self.device)
        now = time.monotonic()
        loss = w["loss"] / max(w["count"], 1)
        record = {"step": self.state["step"], "epoch": self.state["epoch"], "elapsed": self._elapsed(),
                  "train_loss": loss, "lr": self.optimizer.param_groups[0]["lr"], "grad_norm": w["norm"] / w["steps"],
                  "grad_norm_max": w["norm_max"],
                  f"{self.unit}s_per_s": w["tokens"] / max(now - w["time"], 1e-9)}
        w.update(loss=0.0, count=0, norm=0.0, norm_max=0.0, steps=0, tokens=0, time=now)
        if not self.world.main:
            return
        self._log(record)
        shown = {"loss": f"{loss:.3f}"}
        if self.show_perplexity:
            shown["ppl"] = f"{perplexity(loss):.1f}"
        shown[f"{UNIT_SHORT.get(self.unit, self.unit)}/s"] = f"{record[f'{self.unit}s_per_s']:,.0f}"
        shown["lr"] = f"{record['lr']:.2g}"
        bar.set_postfix(shown, refresh=False)

    def _log(self, record: dict) -> None:
        self.run.log(record)
        if self.board is not None:
            write_record(self.board, record)

    def _evaluate(self, bar, observe: bool = True) -> None:
        """Validation metrics into metrics.jsonl; keep the weights if they are the best so far."""
        st = self.state
        st["evaluated_at"] = st["step"]
        if self.evaluate_fn is None:
            return
        with evaluating(self.model):
            metrics = self.evaluate_fn()
        record = {"step": st["step"], "epoch": st["epoch"], "elapsed": self._elapsed(),
                  **{f"valid_{k}": v for k, v in metrics.items()}}
        if self.world.main:   # every rank evaluates (and so keeps the same schedule); one writes
            self._log(record)
        score = self.sign * metrics[self.select]       # lower is better
        # equal scores (a small validation set's accuracy of 1.0, say) go to the lower loss
        tie = metrics.get("loss", 0.0) if self.select != "loss" else 0.0
        better = (score, tie) < (st["best"], st.get("best_tie", math.inf))
        if observe:
            self.schedule.observe(score)
            st["evals_without_improvement"] = 0 if better else st["evals_without_improvement"] + 1
        if better:
            st["best"], st["best_tie"] = score, tie
            if self.world.main:
                self.run.save_weights(self.model)
        if not self.world.main:
            return
        shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items() if isinstance(v, float))
        line = f"step {st['step']}: validation {shown}"
        if bar is not None:
            bar.write(line, file=sys.stderr)     # tqdm.write defaults to stdout, which is for results
        else:
            print(line, file=sys.stderr)
        if time.monotonic() - self._last_plot >= PLOT_EVERY:
            self._plot()

    def _plot(self) -> None:
        self._last_plot = time.monotonic()
        plot_loss(self.run.read_metrics(), self.run.plots / "loss.png", ylabel=f"loss (nats/{self.unit})",
                  metric=self.select)

    def _early_stop(self) -> bool:
        p = self.opt.patience
        return p is not None and self.state["evals_without_improvement"] >= p

    def _finish(self, final_eval: bool) -> None:
        """Leave a usable model, a checkpoint and the plot, whatever stopped the run."""
        if final_eval and self.evaluate_fn is not None and self.state["evaluated_at"] != self.state["step"]:
            # an extra look at the end; it does not feed the schedule or early stopping, so a
            # resumed run continues exactly as an uninterrupted one would
            self._evaluate(None, observe=False)
        if self.world.main and (self.evaluate_fn is None or not self.run.model.exists()):
            self.run.save_weights(self.model)
        self._checkpoint()
        if self.world.main:
            self._plot()
        if self.board is not None:
            self.board.close()

    def _checkpoint(self) -> None:
        self._last_checkpoint = time.monotonic()
        self.state["train_seconds"] = self._elapsed()
        state = dict(self.state, schedule=self.schedule.state_dict(), options=_jsonable_options(self.opt))
        others = None
        if self.world.size > 1:   # what each rank needs to resume exactly, gathered to rank 0
            mine = {"rng": torch.get_rng_state(), "carry": to_device(self.carry, torch.device("cpu"))}
            gathered = distributed.gather_to_main(mine)
            if not self.world.main:
                return
            others = gathered[1:]
        checkpoint.save(self.run.checkpoints, self.state["step"], self.model, self.optimizer, state, self.carry,
                        ranks=others)


class _interrupt_between_steps:
    """Within this block the first SIGINT only sets the flag it returns (the loop stops at the
    next step boundary); a second one raises KeyboardInterrupt at once.  Outside the main thread,
    where Python delivers no signals, the flag is simply never set."""

    def __enter__(self) -> threading.Event:
        self.flag = threading.Event()
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self.flag

    def _handle(self, signum, frame):
        if self.flag.is_set():
            raise KeyboardInterrupt
        self.flag.set()
        print("\ninterrupt: stopping after this step and saving a checkpoint (Ctrl-C again to stop at once, "
              "without saving)", file=sys.stderr)

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _jsonable_options(opt: TrainOptions) -> dict:
    d = asdict(opt)
    d.pop("schedule")
    return d
