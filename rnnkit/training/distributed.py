"""Data-parallel training on torch.distributed: several processes, each with a copy of the model,
each reading its share of the batches, their gradients averaged by DistributedDataParallel.

A process learns its place from the environment that ``torchrun`` sets (``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``); ``launch`` sets the same for
``rnnkit train ... --nproc N`` on one machine.  Ranks talk through gloo on CPUs and NCCL on GPUs,
with a 60-second timeout, so that a rank that dies ends the others instead of leaving them
waiting.  Each rank uses one torch thread unless ``OMP_NUM_THREADS`` says otherwise.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from rnnkit.errors import RnnkitError

TIMEOUT = timedelta(seconds=60)


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        """The rank that writes the run directory, logs, plots and checkpoints."""
        return self.rank == 0


def current() -> World:
    """This process's rank and the number of ranks (0 of 1 outside a process group)."""
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size())
    return World()


def in_launched_process() -> bool:
    """Whether the environment describes a process group of more than one rank (torchrun's or ``launch``'s)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def join(device: torch.device) -> World:
    """Join the process group the environment describes (nothing for one process)."""
    if not in_launched_process() or (dist.is_available() and dist.is_initialized()):
        return current()
    if not dist.is_available():
        raise RnnkitError("this PyTorch build has no torch.distributed; train with one process")
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(1)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        check_gpus(device, int(os.environ.get("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"])))
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    try:
        dist.init_process_group(backend, timeout=TIMEOUT)
    except (RuntimeError, ValueError) as e:
        raise RnnkitError(f"cannot join the process group of {os.environ['WORLD_SIZE']} ranks at "
                          f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')} ({e})") from None
    return current()


def check_gpus(device: torch.device, local_ranks: int) -> None:
    """Each rank on a GPU takes the GPU numbered by its local rank (NCCL refuses two ranks on one
    GPU): there must be as many GPUs as ranks on this machine."""
    if device.type != "cuda" or local_ranks < 2:
        return
    if device.index is not None:
        raise RnnkitError(f"--device {device} with {local_ranks} processes: each process takes the GPU numbered by "
                          "its local rank; give --device cuda")
    if local_ranks > torch.cuda.device_count():
        raise RnnkitError(f"{local_ranks} processes on GPUs need one GPU each, but this machine has "
                          f"{torch.cuda.device_count()}; give --nproc {torch.cuda.device_count()}, or --device cpu")


def leave() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_sum(values: list[float], device: torch.device) -> list[float]:
    """Each value summed over the ranks (as float64); a lost rank is an error that says so."""
    return _all_reduce(values, device, dist.ReduceOp.SUM)


def all_max(values: list[float], device: torch.device) -> list[float]:
    """Each value's largest over the ranks."""
    return _all_reduce(values, device, dist.ReduceOp.MAX)


def _all_reduce(values: list[float], device: torch.device, op) -> list[float]:
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    try:
        dist.all_reduce(tensor, op=op)
    except (RuntimeError, dist.DistBackendError) as e:
        raise lost(e) from None
    return tensor.tolist()


def gather_to_main(obj):
    """Every rank's ``obj`` on rank 0 (a list by rank; None on the other ranks)."""
    found = [None] * dist.get_world_size() if dist.get_rank() == 0 else None
    try:
        dist.gather_object(obj, found, dst=0)
    except (RuntimeError, dist.DistBackendError) as e:
        raise lost(e) from None
    return found


def lost(error: Exception) -> RnnkitError:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return RnnkitError(f"rank {current().rank}: lost contact with the other ranks ({first[:160]}); a rank stopped or "
                       "died, so training stops (resume the run with --resume)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(argv: list[str], nproc: int) -> int:
    """Run ``rnnkit ARGV`` as ``nproc`` ranks on this machine and wait for them: rank 0 keeps the
    terminal, the others' messages are kept and the last line of a failing one is shown.  When a
    rank fails the others are stopped; the exit status is the first failure's (2 for an error,
    130 for Ctrl-C), 0 when every rank succeeds."""
    port = free_port()
    base = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "WORLD_SIZE": str(nproc),
            "LOCAL_WORLD_SIZE": str(nproc), "PYTHONUNBUFFERED": "1"}
    logs = [None] + [tempfile.TemporaryFile("w+") for _ in range(1, nproc)]
    ranks = [subprocess.Popen([sys.executable, "-m", "rnnkit.cli.main", *argv],
                              env={**base, "RANK": str(r), "LOCAL_RANK": str(r)},
                              stdout=None if r == 0 else subprocess.DEVNULL, stderr=logs[r])
             for r in range(nproc)]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C reaches the ranks; they checkpoint
    try:
        failed = None
        while failed is None and any(p.poll() is None for p in ranks):
            failed = next((r for r, p in enumerate(ranks) if p.returncode not in (None, 0)), None)
            time.sleep(0.2)
        failed = failed if failed is not None else next((r for r, p in enumerate(ranks) if p.returncode), None)
        if failed is None:
            return 0
        stopped = _stop(ranks)
        killed = [r for r, p in enumerate(ranks) if p.returncode < 0 and r not in stopped]
        failed = killed[0] if killed else failed   # a rank killed from outside is the cause; the rest lost it
        status = ranks[failed].returncode
        if status == 130:
            return 130
        if failed or status < 0:   # rank 0 prints its own error line, but not when a signal ends it
            last = _last_line(logs[failed])   # a rank that aborts may still have said why (a C++ exception)
            if status < 0:
                said = f"killed by signal {-status}" + (f": {last}" if last else "")
            else:
                said = last or f"exit status {status}"
            print(f"error: rank {failed} of {nproc} failed ({said}); the other ranks were stopped", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGINT, previous)
        for log in logs[1:]:
            log.close()


def _last_line(log) -> str:
    """The last line a rank wrote to its kept stderr (None for rank 0, whose stderr is the terminal's)."""
    if log is None:
        return ""
    log.seek(0)
    lines = [line for line in log.read().splitlines() if line.strip()]
    return lines[-1].removeprefix("error: ") if lines else ""


def _stop(ranks: list[subprocess.Popen]) -> set[int]:
    """Ask the ranks still running to stop, then make them; the ranks it stopped."""
    stopped = {r for r, p in enumerate(ranks) if p.poll() is None}
    for r in stopped:
        ranks[r].terminate()
    deadline = time.monotonic() + 10
    for p in ranks:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return stopped
