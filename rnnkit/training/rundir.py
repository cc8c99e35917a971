"""Run directories.

A run directory holds ``config.json`` (task, model, data with the label sets, and training
options), the best weights on validation (or the last, without validation) in
``model.safetensors``, one JSON object per line in ``metrics.jsonl``, PNG plots in ``plots/``,
resumable checkpoints in ``checkpoints/``, the task's own files (vocabularies, tokenizers;
``rnnkit.tasks`` names them), and for a run trained from Python on data in memory, that data in
``data/``, written in a form the command line reads.  Every file is written atomically.  Loading checks
``config.json`` (its shape, and that the model it describes builds) and the weights file's header
against that model before any weight is allocated, so a damaged or crafted run directory gives
one clear error.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_model

from rnnkit.errors import RnnkitError

try:
    import fcntl
except ImportError:        # Windows: runs are not locked
    fcntl = None
from rnnkit.files import check_writable_folder, replace_atomic, write_atomic


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.config = self.path / "config.json"
        self.model = self.path / "model.safetensors"
        self.metrics = self.path / "metrics.jsonl"
        self.plots = self.path / "plots"
        self.checkpoints = self.path / "checkpoints"
        self.data = self.path / "data"

    @classmethod
    def create(cls, path: str | Path, *, resume: bool, own_files: tuple[str, ...] = ()) -> "RunDir":
        """A new run directory, or with ``resume`` an existing one.  Never overwrites a run: a
        folder that is not empty is refused unless it holds only what a run killed before writing
        config.json leaves (``own_files``: the files a task writes before it)."""
        run = cls(path)
        if resume:
            run.require()
            check_writable_folder(run.path, f"into the run directory {run.path}")
            return run
        run.check_free(own_files)
        try:
            run.plots.mkdir(parents=True, exist_ok=True)
            run.checkpoints.mkdir(exist_ok=True)
        except OSError as e:
            raise RnnkitError(f"cannot make the run directory {run.path}: {e.strerror}") from None
        return run

    def lock(self) -> int | None:
        """Hold this run directory (made where missing) for this process, so that a second process
        training into it is refused in one line naming the holder's process id; the lock is the
        operating system's (``flock`` on ``.lock``), so it goes with the process, a ``kill -9``
        included.  The file descriptor to keep open while writing (None without locks)."""
        if fcntl is None:
            return None
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise self.held_by(holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        return fd

    def refuse_if_held(self) -> None:
        """Raise where another process holds this run directory (``lock``)."""
        if fcntl is None or not (self.path / ".lock").is_file():
            return
        fd = os.open(self.path / ".lock", os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise self.held_by(os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown") from None
        finally:
            os.close(fd)

    def held_by(self, pid: str) -> RnnkitError:
        return RnnkitError(f"{self.path}: another rnnkit process (pid {pid}) is training into this run directory; "
                           "wait for it to end, or give another --out")

    def check_free(self, own_files: tuple[str, ...] = ()) -> None:
        """Raise RnnkitError unless a new run can be made here (``create`` without ``resume``)."""
        occupied = self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir()))
        if occupied and not self.unstarted(own_files):
            raise RnnkitError(f"{self.path}: already exists and is not empty; pass --resume to continue "
                              "the run in it, or choose another --out")
        check_writable_folder(self.path, f"the run directory {self.path}")

    def unstarted(self, own_files: tuple[str, ...] = ()) -> bool:
        """Whether this is what a run leaves when it is killed before writing config.json: only
        files a new run writes again (empty plots/ and checkpoints/, the task's ``own_files``
        such as vocabularies, the data from Python in data/, hidden temporary files), nothing else."""
        if not self.path.is_dir() or self.config.exists():
            return False
        for entry in self.path.iterdir():
            if entry == self.data and entry.is_dir():
                continue
            if entry in (self.plots, self.checkpoints):
                if not entry.is_dir() or any(entry.iterdir()):
                    return False
            elif not (entry.is_file() and (entry.name in own_files or entry.name.startswith("."))):
                return False
        return True

    def require(self) -> None:
        if not self.config.is_file():
            raise RnnkitError(f"{self.path}: not a run directory (no config.json); "
                              "make one with `rnnkit train ... --out DIR`")

    def read_config(self) -> dict:
        """config.json, checked to be an object naming a task, with its model options."""
        self.require()
        try:
            config = json.loads(self.config.read_text())
        except (ValueError, UnicodeDecodeError) as e:
            raise RnnkitError(f"{self.config}: not valid JSON ({e})") from None
        if not isinstance(config, dict):
            raise RnnkitError(f"{self.config}: expected a JSON object, found a {type(config).__name__}")
        if not isinstance(config.get("task"), str):
            raise RnnkitError(f"{self.config}: \"task\" must name the run's task, found {config.get('task')!r}")
        for key in ("model", "data", "args"):
            if not isinstance(config.get(key, {}), dict):
                raise RnnkitError(f"{self.config}: \"{key}\" must be a JSON object, found {config[key]!r}")
        if "model" not in config:
            raise RnnkitError(f"{self.config}: has no \"model\" entry (the model's options)")
        return config

    def write_config(self, config: dict) -> None:
        write_atomic(self.config, json.dumps(config, indent=1))

    def save_weights(self, model: torch.nn.Module) -> None:
        replace_atomic(self.model, lambda tmp: save_model(model, str(tmp)))

    def log(self, record: dict) -> None:
        with self.metrics.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict]:
        """The records of metrics.jsonl; a line cut short by a kill (the last) is left out."""
        if not self.metrics.exists():
            return []
        lines = [line for line in self.metrics.read_text(errors="replace").splitlines() if line.strip()]
        records = []
        for k, line in enumerate(lines):
            try:
                records.append(json.loads(line))
            except ValueError:
                if k + 1 < len(lines):
                    raise RnnkitError(f"{self.metrics}, line {k + 1}: not a JSON record") from None
        return records

    def keep_metrics_until(self, step: int) -> None:
        """Drop the records logged after ``step`` (a resumed run logs them again) and any line
        cut short by a kill."""
        kept = [r for r in self.read_metrics() if r.get("step", 0) <= step]
        write_atomic(self.metrics, "".join(json.dumps(r) + "\n" for r in kept))


def build_checked(model_class: type, options: dict, run: RunDir, task: str) -> None:
    """Check that config.json's model ``options`` build a ``model_class`` (the model of ``task``)
    on the meta device (no memory) whose parameters match the weights file's header; raise
    RnnkitError where not."""
    try:
        with torch.device("meta"):
            shape_only = model_class(**options)
    except (TypeError, ValueError, RuntimeError, OverflowError) as e:
        raise RnnkitError(f"{run.config}: the \"model\" options do not describe a {task} model ({e})") from None
    try:
        with safe_open(str(run.model), framework="pt") as f:
            stored = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
    except (OSError, SafetensorError) as e:
        raise RnnkitError(f"{run.model}: not a readable safetensors file ({e})") from None
    expected = {name: tuple(p.shape) for name, p in shape_only.state_dict(keep_vars=True).items()}
    tied = {}   # a shared Parameter is stored once, under any one of its names
    for name, p in shape_only.named_parameters(remove_duplicate=False):
        tied.setdefault(id(p), []).append(name)
    groups = list(tied.values()) + [[n] for n in expected if not any(n in g for g in tied.values())]
    problems = [f"{n}: weights {stored[n]}, config {expected[n]}" for n in expected
                if n in stored and stored[n] != expected[n]]
    problems += [f"{n}: in the weights, not in the model" for n in stored if n not in expected]
    problems += [f"{g[0]}: in the model, not in the weights" for g in groups if not any(n in stored for n in g)]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise RnnkitError(f"{run.model} does not fit the {task} model of {run.config}: "
                          f"{'; '.join(problems[:3])}{more}")


