"""Data-parallel training on this machine: 1 and 2 processes (``--nproc``), side by side.

    python benchmarks/distributed.py [--fresh] [--exploratory]

For the character language model (tinyshakespeare, 2 x 512 LSTM, batch 32 x 100 per process) and
the translation model (Multi30k De->En, subwords, 1 x 256 LSTM with attention, batch 32 per
process): ``rnnkit train ... --nproc N --max-time 90``, and from it the training speed (the
median of the tokens/s logged at every step, the first left out: with N processes each step
reads N batches) and the time to the first step (from the command's start to the end of the
first step: Python, torch and the data in every process, and the process group's start).  One torch
thread per process (rnnkit's default with --nproc), so 1 process uses 1 of the 2 cores; the
"1 process, 2 threads" row is the ordinary single-process run.  Results:
benchmarks/results/distributed.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from common import DATA, RNNKIT, RUNS, open_results, results_options

M30K = DATA / "multi30k"
TASKS = {
    "lm": ["train", "lm", "--text", str(DATA / "shakespeare" / "input.txt"), "--hidden", "512", "--layers", "2",
           "--batch-size", "32", "--bptt", "100"],
    "translate": ["train", "translate", "--src", str(M30K / "train.de.gz"), "--tgt", str(M30K / "train.en.gz"),
                  "--hidden", "256", "--embedding", "256", "--batch-size", "32", "--tokenizer", "subword",
                  "--vocab-size", "8000", "--attention", "general"],
}
SETUPS = {"1 process, 1 thread": (1, {"OMP_NUM_THREADS": "1"}), "1 process, 2 threads": (1, {}),
          "2 processes, 1 thread each": (2, {})}


def measure(task: str, nproc: int, env: dict) -> dict:
    out = RUNS / f"distributed-{task}-{nproc}-{len(env)}"
    shutil.rmtree(out, ignore_errors=True)
    start = time.monotonic()
    process = subprocess.Popen([*RNNKIT, *TASKS[task], "--out", str(out), "--max-time", "90", "--log-every", "1",
                                "--nproc", str(nproc), "--eval-every", "100000"],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = None
    while process.poll() is None:
        if first is None and (out / "metrics.jsonl").is_file() and (out / "metrics.jsonl").read_text().strip():
            first = time.monotonic() - start   # the first step is logged
        time.sleep(0.05)
    if process.returncode:
        raise SystemExit(f"{task} with {nproc} process(es) failed")
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    speeds = [r["tokens_per_s"] for r in records if "tokens_per_s" in r][1:]
    return {"tokens_per_s": round(statistics.median(speeds), 1), "first_step_s": round(first, 2),
            "steps": records[-1]["step"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    results_options(parser)
    args = parser.parse_args(argv)
    results = open_results("distributed", args)
    RUNS.mkdir(parents=True, exist_ok=True)
    for task in TASKS:
        for name, (nproc, env) in SETUPS.items():
            key = f"{task}/{name}"
            if key not in results:
                results.record(key, measure(task, nproc, env), seeds=[0])     # rnnkit train's default seed
                print(key, results[key], file=sys.stderr)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
