"""Does a run survive being killed at random moments?  ``make bench-reliability``

One uninterrupted training run, then the same run killed with ``kill -9`` (SIGKILL: no handler,
no cleanup) at random moments, including during checkpoint writes and before training has
started, and resumed with ``--resume`` after every kill until it finishes.  Then the same with
SIGINT (Ctrl-C).  The final weights of every interrupted run must equal the uninterrupted run's
bit for bit.  The model has dropout and recurrent dropout, so a random state restored one draw
off would show.  Checkpoints are written every 0.05 s so that kills land inside writes.  The
moments are drawn so that most fall inside training and some before it has started.

    python benchmarks/kill_loop.py [--kills 12] [--seed 0]
"""
from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
from common import RNNKIT, RUNS, Results   # noqa: E402
from store import describe, machine   # noqa: E402

SENTENCES = ["the cat sat on the mat.", "a dog ran to the old log.", "we met at noon by the river.",
             "she sang a song of the sea.", "ten small birds flew over the hill."]
TRAIN = ["--level", "char", "--layers", "2", "--hidden", "64", "--bptt", "50", "--batch-size", "8",
         "--dropout", "0.3", "--recurrent-dropout", "0.2", "--epochs", "6", "--eval-every", "40",
         "--checkpoint-every", "0.05", "--log-every", "10", "--seed", "7"]


def corpus(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path.write_text("\n".join(" ".join(rng.choice(SENTENCES) for _ in range(3)) for _ in range(600)) + "\n")


def command(text: Path, out: Path, resume: bool) -> list[str]:
    return [*RNNKIT, "train", "lm", "--text", str(text), "--out", str(out), *TRAIN, *(["--resume"] if resume else [])]


def final_weights(out: Path) -> dict:
    latest = out / "checkpoints" / (out / "checkpoints" / "latest").read_text().strip()
    return load_file(str(latest / "model.safetensors"))


def interrupted_run(text: Path, out: Path, kills: int, sig: int, rng: random.Random, startup: float,
                    training: float) -> dict:
    """Start, interrupt at a random moment, resume, ... ``kills`` times, then run to the end.
    A moment is drawn from half the start-up time to the start-up plus twice an even share of
    the training time."""
    shutil.rmtree(out, ignore_errors=True)
    counts = {"interrupts": 0, "in_checkpoint_write": 0, "before_first_checkpoint": 0, "fell_back": 0,
              "exit_codes": {}}
    for k in range(kills + 1):
        process = subprocess.Popen(command(text, out, resume=(out / "config.json").exists()),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if k < kills:
            time.sleep(rng.uniform(startup / 2, startup + 2 * training / kills))
            if process.poll() is None:
                process.send_signal(sig)
                counts["interrupts"] += 1
        _, err = process.communicate()
        counts["exit_codes"][str(process.returncode)] = counts["exit_codes"].get(str(process.returncode), 0) + 1
        counts["in_checkpoint_write"] += any((out / "checkpoints").glob(".step-*.tmp"))
        counts["before_first_checkpoint"] += not (out / "checkpoints" / "latest").exists()
        counts["fell_back"] += "resuming from the one before" in err
        if "Traceback" in err:
            raise SystemExit(f"traceback after interrupt {k}:\n{err}")
    if process.returncode != 0:
        raise SystemExit(f"the last resume failed:\n{err}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=15, help="interruptions per signal")
    parser.add_argument("--seed", type=int, default=0, help="seed of the interruption times")
    args = parser.parse_args()
    results = Results(Path(__file__).parent / "results" / "kill_loop.json", fresh=True)
    root = RUNS / "kill_loop"
    root.mkdir(parents=True, exist_ok=True)
    text = root / "text.txt"
    corpus(text, args.seed)
    reference = root / "straight"
    shutil.rmtree(reference, ignore_errors=True)
    start = time.monotonic()
    process = subprocess.Popen(command(text, reference, resume=False), stderr=subprocess.DEVNULL)
    while not (reference / "metrics.jsonl").exists() and process.poll() is None:   # the first steps are done
        time.sleep(0.01)
    startup = time.monotonic() - start
    if process.wait() != 0:
        raise SystemExit("the uninterrupted run failed")
    took = time.monotonic() - start
    expected = final_weights(reference)
    rng = random.Random(args.seed)
    rows = []
    for name, sig in (("SIGKILL", signal.SIGKILL), ("SIGINT", signal.SIGINT)):
        out = root / name.lower()
        counts = interrupted_run(text, out, args.kills, sig, rng, startup, took - startup)
        got = final_weights(out)
        counts["identical"] = got.keys() == expected.keys() and all((got[k] == expected[k]).all() for k in got)
        results.record(name, counts, seeds=[args.seed])
        rows.append((name, counts))
    results.record("uninterrupted_seconds", took, seeds=[args.seed])
    results.record("startup_seconds", startup, seeds=[args.seed])
    print(f"machine: {describe(machine())}; uninterrupted run {took:.1f} s, of which {startup:.1f} s before training")
    results.show()   # `make bench-report` renders the table in BENCHMARKS.md
    if not all(c["identical"] for _, c in rows):
        raise SystemExit("an interrupted run did not end with the uninterrupted run's weights")


if __name__ == "__main__":
    main()
