"""Checkpoints: everything needed to resume a run exactly, written atomically.

A checkpoint is a directory ``checkpoints/step-NNNNNNNN/`` holding ``model.safetensors`` (the
weights), ``state.safetensors`` (optimizer moments, RNG state, the hidden state carried between
truncated-BPTT windows) and ``state.json`` (step, epoch, data position, schedule, optimizer
hyper-parameters, Python's RNG).  It is written under a temporary name, flushed to disk
(``fsync`` of every file and of the directories) and renamed into place, then
``checkpoints/latest`` is replaced to point at it, so a kill or a power cut at any moment leaves
the previous checkpoint usable; if the newest one is damaged all the same, ``load_latest`` falls
back to the one before and says so.  Loading never unpickles anything.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, load_model, save_file, save_model

from rnnkit.errors import RnnkitError
from rnnkit.files import fsync_dir, fsync_file, write_atomic

KEEP = 2   # checkpoints kept besides the one being written
FILES = ("model.safetensors", "state.safetensors", "state.json")


def flatten(obj, prefix: str, tensors: dict):
    """Nested tuples/lists of tensors -> a JSON structure with tensor names, filling ``tensors``."""
    if obj is None:
        return None
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().contiguous()
        return prefix
    if isinstance(obj, (tuple, list)):
        return [flatten(x, f"{prefix}.{i}", tensors) for i, x in enumerate(obj)]
    raise TypeError(f"cannot checkpoint a {type(obj).__name__}")


def unflatten(spec, tensors: dict):
    if spec is None:
        return None
    if isinstance(spec, str):
        return tensors[spec]
    return tuple(unflatten(s, tensors) for s in spec)


def _optimizer_state(optimizer: torch.optim.Optimizer, tensors: dict) -> dict:
    sd = optimizer.state_dict()
    state = {}
    for idx, values in sd["state"].items():
        state[str(idx)] = {}
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{idx}.{name}"] = value.contiguous()
                state[str(idx)][name] = {"tensor": f"optimizer.{idx}.{name}"}
            else:
                state[str(idx)][name] = value
    return {"state": state, "param_groups": sd["param_groups"]}


def _load_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict, tensors: dict) -> None:
    state = {int(idx): {name: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v
                        for name, v in values.items()}
             for idx, values in saved["state"].items()}
    optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})


def save(directory: Path, step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
         state: dict, carry=None, ranks: list[dict] | None = None) -> Path:
    """Write checkpoint ``step`` under ``directory`` and point ``latest`` at it.  ``ranks``: in
    data-parallel training, what each other rank needs to resume exactly (its random state
    "rng" and its carried state "carry"), ranks 1, 2, ... in order."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"step-{step:08d}"
    tmp = directory / f".step-{step:08d}.tmp"
    for unfinished in directory.glob(".step-*.tmp"):   # left by a kill during a write
        shutil.rmtree(unfinished, ignore_errors=True)
    tmp.mkdir()
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_initialized():   # dropout on a GPU draws from its own generator
        tensors.update({f"rng.cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    meta = dict(state)
    meta["optimizer"] = _optimizer_state(optimizer, tensors)
    meta["carry"] = flatten(carry, "carry", tensors)
    meta["python_random"] = _jsonable(random.getstate())
    meta["world_size"] = 1 + len(ranks or [])
    for r, other in enumerate(ranks or [], 1):
        tensors[f"rank{r}.rng.torch"] = other["rng"]
        meta[f"rank{r}.carry"] = flatten(other["carry"], f"rank{r}.carry", tensors)
    save_model(model, str(tmp / "model.safetensors"))
    save_file(tensors, str(tmp / "state.safetensors"))
    (tmp / "state.json").write_text(json.dumps(meta, indent=1))
    for name in FILES:
        fsync_file(tmp / name)
    fsync_dir(tmp)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    fsync_dir(directory)
    write_atomic(directory / "latest", final.name)
    for old in sorted(directory.glob("step-*"))[:-(KEEP + 1)]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest(directory: Path) -> Path | None:
    """The checkpoint ``latest`` points at (None where there is none)."""
    candidates = _newest_first(directory)
    return candidates[0] if candidates else None


def _newest_first(directory: Path) -> list[Path]:
    """Complete-looking checkpoints, the one ``latest`` names first, then by step, newest first."""
    found = sorted((p for p in directory.glob("step-*") if (p / "state.json").exists()), reverse=True)
    pointer = directory / "latest"
    named = directory / pointer.read_text().strip() if pointer.is_file() else None
    if named in found:
        found.remove(named)
        found.insert(0, named)
    return found


def world_size(directory: Path) -> int:
    """How many processes trained the run of the newest checkpoint (1 where there is none)."""
    newest = latest(directory)
    try:
        return int(json.loads((newest / "state.json").read_text()).get("world_size", 1)) if newest else 1
    except (OSError, ValueError, TypeError):
        return 1   # a damaged checkpoint: load_latest says so


def refuse_other_world(directory: Path, size: int) -> None:
    """The error of resuming a run with another number of processes than trained it."""
    saved = world_size(directory)
    if saved != size:
        raise RnnkitError(f"{directory.parent}: the run was trained by {saved} process(es) and resumes exactly only "
                          f"with as many: resume it with --nproc {saved}")


class NoCheckpoint(RnnkitError):
    """The run stopped before its first checkpoint."""


class DamagedCheckpoint(RnnkitError):
    """A checkpoint's files cannot be read (truncated, corrupted)."""


def load_latest(directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, *, rank: int = 0,
                world_size: int = 1) -> tuple[dict, object]:
    """``load`` the newest checkpoint that reads; a damaged one is skipped with a warning."""
    candidates = _newest_first(directory)
    if not candidates:
        raise NoCheckpoint(f"{directory.parent}: no checkpoint to resume from")
    for path, older in zip(candidates, [*candidates[1:], None]):
        try:
            return load(path, model, optimizer, rank=rank, world_size=world_size)
        except DamagedCheckpoint as e:
            if older is None:
                raise RnnkitError(f"{e}; no older checkpoint is left to resume from") from None
            warnings.warn(f"{e}; resuming from the one before, {older.name}")


def load(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, *, rank: int = 0,
         world_size: int = 1) -> tuple[dict, object]:
    """Restore model, optimizer and RNG states from checkpoint ``path``; return
    ``(state, carry)`` for the trainer: rank ``rank``'s of a run trained by ``world_size``
    processes (a checkpoint of another number of processes is refused)."""
    try:
        meta = json.loads((path / "state.json").read_text())
        tensors = load_file(str(path / "state.safetensors"))
        missing, unexpected = load_model(model, str(path / "model.safetensors"), strict=False)
        optimizer_state, python_random, carry = meta.pop("optimizer"), meta.pop("python_random"), meta.pop("carry")
        saved_world = meta.pop("world_size", 1)
        other_carries = {name: meta.pop(name) for name in [n for n in meta if n.startswith("rank")]}
        mine = rank and saved_world == world_size
        if mine:
            carry = other_carries[f"rank{rank}.carry"]
        rng = tensors[f"rank{rank}.rng.torch" if mine else "rng.torch"]
        cuda_rng = [tensors[f"rng.cuda.{i}"] for i in range(len([k for k in tensors if k.startswith("rng.cuda.")]))]
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as e:
        raise DamagedCheckpoint(f"checkpoint {path} is damaged ({type(e).__name__}: {e})") from None
    if saved_world != world_size:
        refuse_other_world(path.parent, world_size)
    if missing or unexpected:
        raise RnnkitError(f"{path}: checkpoint does not fit this model (missing {missing}, unexpected {unexpected}); "
                          "was the run directory made with other options?")
    _load_optimizer_state(optimizer, optimizer_state, tensors)
    torch.set_rng_state(rng)
    if cuda_rng and torch.cuda.is_available() and len(cuda_rng) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda_rng)
    random.setstate(_tupled(python_random))
    return meta, unflatten(carry, tensors)


def _jsonable(x):
    return [_jsonable(v) for v in x] if isinstance(x, (tuple, list)) else x


def _tupled(x):
    return tuple(_tupled(v) for v in x) if isinstance(x, list) else x
