"""Why plain RNNs forget, measured: long-range problems across cells and lengths, and the gradient
ratio of each cell at initialisation and after training.

    python benchmarks/longrange.py [--fresh] [--only NAME ...]

Runs (each recorded as it comes, so a rerun resumes; ``--only`` picks by name prefix, e.g.
``adding-200``): ``rnnkit longrange PROBLEM --cell CELL --length T --max-time S`` for the cells of
CELLS on the problems and budgets of PLAN, every run with the defaults of ``rnnkit longrange``
(one layer of 128 units, batch 50, AdamW at a constant lr 1e-3, clipping at norm 1) and seed 0; the digits are ``../shared/data/mnist`` split 80/10/10.  Each
result: the test figure (``test mse`` of the adding problem's 10,000 fixed sequences, else
test accuracy), the training steps made in the budget, and, for the adding runs, ``rnnkit
gradients RUN --length 100`` (the ratio ||dL/dh_1|| / ||dL/dh_T|| of the trained layer on
adding-problem inputs).  ``gradients``: the same ratio of each fresh cell (``rnnkit gradients
--cell CELL --length 100``).  Results: benchmarks/results/longrange.json.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time

from common import DATA, HERE, RNNKIT, RUNS, Results, metrics

CELLS = ("rnn", "irnn", "lstm", "gru", "gru_before")
MNIST = ["--images", str(DATA / "mnist" / "digits-images-idx3-ubyte.gz"),
         "--labels", str(DATA / "mnist" / "digits-labels-idx1-ubyte.gz")]
PLAN = {   # name: (problem, length or None, seconds per cell, {cell: seconds} where a cell gets another budget)
    "adding-200": ("adding", 200, 600, {}),
    "adding-50": ("adding", 50, 180, {}),
    "copy-60": ("copy", 60, 240, {}),
    "digits-rows": ("digits-rows", None, 300, {}),
    "digits-pixels": ("digits-pixels", None, 600, {"lstm": 1800}),
}


def longrange(name: str, problem: str, length: int | None, cell: str, seconds: int) -> dict:
    out = RUNS / f"longrange-{name}-{cell}"
    args = [*RNNKIT, "longrange", problem, "--cell", cell, "--max-time", str(seconds), "--out", str(out),
            "--log-every", "20", *(["--length", str(length)] if length else MNIST)]
    subprocess.run(["rm", "-rf", str(out)], check=True)
    start = time.monotonic()
    line = subprocess.run(args, check=True, capture_output=False, stdout=subprocess.PIPE, text=True).stdout
    result = {"seconds": round(time.monotonic() - start, 1), "steps": metrics(out)[-1]["step"]}
    label, value = line.strip().rsplit(" ", 1)
    result[label.removeprefix("test ")] = float(value)
    if problem == "adding":
        result["gradient_ratio_after"] = ratio([str(out)])
    return result


def ratio(args: list[str]) -> float:
    """``rnnkit gradients ARGS --length 100``'s ratio."""
    line = subprocess.run([*RNNKIT, "gradients", *args, "--length", "100", "--output",
                           str(RUNS / "gradient-flow.png")], check=True, stdout=subprocess.PIPE, text=True).stdout
    return float(line.split()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="forget recorded results")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only what starts with these names")
    args = parser.parse_args(argv)
    results = Results(HERE / "results" / "longrange.json", args.fresh)
    RUNS.mkdir(parents=True, exist_ok=True)

    def wanted(key: str) -> bool:
        return key not in results and (not args.only or any(key.startswith(o) for o in args.only))

    for cell in CELLS:
        if wanted(f"gradients/{cell}"):
            results[f"gradients/{cell}"] = {"ratio_at_init": ratio(["--cell", cell])}
    for name, (problem, length, seconds, budgets) in PLAN.items():
        for cell in CELLS:
            if wanted(f"{name}/{cell}"):
                results[f"{name}/{cell}"] = longrange(name, problem, length, cell, budgets.get(cell, seconds))
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
