"""Why plain RNNs forget, measured: long-range problems across cells and lengths, the gradient
ratio of each cell at initialisation and after training, clipping, and the linear autoencoder.

    python benchmarks/longrange.py [--fresh] [--exploratory] [--only NAME ...]

Runs (each recorded as it comes, so a rerun resumes; ``--only`` picks by name prefix, e.g.
``adding-200``): ``rnnkit longrange PROBLEM --cell CELL --length T --max-time S`` for the cells of
CELLS on the problems and budgets of PLAN, every run with the defaults of ``rnnkit longrange``
(one layer of 128 units, batch 50, AdamW at a constant lr 1e-3, clipping at norm 1) and seed 0, with the
options of CELL_ARGS and PLAN_ARGS;
the digits are ``../shared/data/mnist`` split 80/10/10.  Each
result: the test figure (``test mse`` of the adding problem's 10,000 fixed sequences, else
test accuracy), the training steps made in the budget, and, for the adding runs, ``rnnkit
gradients RUN --length 100`` (the ratio ||dL/dh_1|| / ||dL/dh_T|| of the trained layer on
adding-problem inputs).  ``gradients``: the same ratio of each fresh cell (``rnnkit gradients
--cell CELL --length 100``).  ``clipping``: a tanh RNN on the adding problem with and without
clipping (CLIPPING), its loss and gradient norms drawn.  ``autoencoder``: the linear autoencoder
of ``rnnkit.analysis.autoencoder`` on the 6,400 training digits (784 values, centred), k = 10 and
30, checked against PCA.  ``figures``: the guide's plots, into docs/figures/.  Results:
benchmarks/results/longrange.json.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time

import torch

from common import DATA, HERE, RNNKIT, RUNS, Results, digits, metrics, open_results, results_options

FIGURES = HERE.parent / "docs" / "figures"

SEED = 0                 # the default of rnnkit longrange, rnnkit gradients and train_linear_autoencoder
CELLS = ("rnn", "irnn", "lstm", "gru", "gru_before")
CELL_ARGS = {"irnn": ["--lr", "1e-4"]}   # at 1e-3 the identity-started ReLU RNN overflowed within 105 steps (T = 200)
MNIST = ["--images", str(DATA / "mnist" / "digits-images-idx3-ubyte.gz"),
         "--labels", str(DATA / "mnist" / "digits-labels-idx1-ubyte.gz")]
PLAN = {   # name: (problem, length or None, seconds per cell, {cell: seconds} where a cell gets another budget)
    "adding-200": ("adding", 200, 600, {}),
    "adding-50": ("adding", 50, 180, {}),
    "copy-60": ("copy", 60, 180, {}),
    "digits-rows": ("digits-rows", None, 240, {}),
    "digits-pixels": ("digits-pixels", None, 300, {"lstm": 1800}),
}
# with the forget-gate bias at 1 the LSTM sat at validation accuracy 0.19-0.21 for 13 epochs (1,664 steps, 690 s)
# of the pixel-by-pixel digits; chrono initialisation gives it memory time scales up to the 784 steps
PLAN_ARGS = {"digits-pixels": {"lstm": ["--chrono"]}}


def longrange(name: str, problem: str, length: int | None, cell: str, seconds: int) -> dict:
    out = RUNS / f"longrange-{name}-{cell}"
    options = [*CELL_ARGS.get(cell, []), *PLAN_ARGS.get(name, {}).get(cell, [])]
    args = [*RNNKIT, "longrange", problem, "--cell", cell, "--max-time", str(seconds), "--out", str(out),
            "--log-every", "20", *(["--length", str(length)] if length else MNIST), *options]
    subprocess.run(["rm", "-rf", str(out)], check=True)
    start = time.monotonic()
    done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    result = {"seconds": round(time.monotonic() - start, 1), "steps": metrics(out)[-1]["step"], "options": options}
    if done.returncode:
        result["failed"] = done.stderr.strip().splitlines()[-1]
        return result
    label, value = done.stdout.strip().rsplit(" ", 1)
    result[label.removeprefix("test ")] = float(value)
    if problem == "adding":
        result["gradient_ratio_after"] = ratio([str(out)])
    return result


def ratio(args: list[str]) -> float:
    """``rnnkit gradients ARGS --length 100``'s ratio."""
    line = subprocess.run([*RNNKIT, "gradients", *args, "--length", "100", "--output",
                           str(RUNS / "gradient-flow.png")], check=True, stdout=subprocess.PIPE, text=True).stdout
    return float(line.split()[-1])


CLIPPING = ["adding", "--cell", "rnn", "--length", "50", "--lr", "0.01", "--max-time", "180", "--log-every", "1"]


def clipping(results: Results) -> None:
    """The tanh RNN with and without clipping at norm 1, and the plot of both."""
    from rnnkit.analysis.plots import plot_clipping

    runs = {}
    for clip in ("0", "1"):
        out = RUNS / f"longrange-clipping-{clip}"
        key = f"clipping/clip {clip}"
        if key not in results:
            subprocess.run(["rm", "-rf", str(out)], check=True)
            line = subprocess.run([*RNNKIT, "longrange", *CLIPPING, "--clip", clip, "--out", str(out)], check=True,
                                  stdout=subprocess.PIPE, text=True).stdout
            records = metrics(out)
            norms = sorted(r["grad_norm_max"] for r in records if "grad_norm_max" in r)
            median = norms[len(norms) // 2]
            results.record(key, {"mse": float(line.split()[-1]), "steps": records[-1]["step"],
                                 "median_gradient_norm": round(median, 4),
                                 "exploding_steps": sum(n > 10 * median for n in norms)}, seeds=[SEED])
        runs["no clipping" if clip == "0" else "clipped at norm 1"] = metrics(out)
    plot_clipping(runs, FIGURES / "clipping.png", title="tanh RNN, adding problem, T = 50, lr 0.01")


def autoencoder(results: Results, k: int) -> None:
    from rnnkit.analysis.autoencoder import check_against_pca, covariance, train_linear_autoencoder

    images, _ = digits()["train"]
    C = covariance(torch.from_numpy(images.reshape(len(images), -1)).double() / 255.0)
    start = time.monotonic()
    model = train_linear_autoencoder(C, k, max_iterations=100_000, tolerance=1e-10)
    checks = check_against_pca(C, model)
    results.record(f"autoencoder/k{k}", {"iterations": model.iterations,
                                         "seconds": round(time.monotonic() - start, 1),
                                         "largest_angle_rad": checks.largest_angle,
                                         "projector_error": checks.projector_error,
                                         "loss_relative_difference": checks.loss_relative_difference}, seeds=[SEED])


def figures() -> None:
    """The scalar example, the cliff with and without clipping, and fresh cells' gradient flow."""
    from rnnkit.analysis.exploding import descend, loss_surface
    from rnnkit.analysis.plots import plot_cliff, plot_scalar_example

    FIGURES.mkdir(parents=True, exist_ok=True)
    plot_scalar_example(FIGURES / "scalar.png")
    ws, bs = torch.linspace(-4, 14, 181), torch.linspace(-9, 8, 171)
    paths = {"plain gradient descent": descend(10.0, -5.0, 0.05, 40),
             "clipped at norm 5": descend(10.0, -5.0, 0.05, 200, clip=5.0)}
    plot_cliff(ws, bs, loss_surface(ws, bs), paths, FIGURES / "cliff.png")
    for cell in ("rnn", "lstm"):
        subprocess.run([*RNNKIT, "gradients", "--cell", cell, "--length", "100", "--output",
                        str(FIGURES / f"gradient-flow-{cell}.png")], check=True, stdout=subprocess.DEVNULL)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    results_options(parser)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only what starts with these names")
    args = parser.parse_args(argv)
    results = open_results("longrange", args)
    RUNS.mkdir(parents=True, exist_ok=True)

    def wanted(key: str) -> bool:
        return key not in results and (not args.only or any(key.startswith(o) for o in args.only))

    for cell in CELLS:
        if wanted(f"gradients/{cell}"):
            results.record(f"gradients/{cell}", {"ratio_at_init": ratio(["--cell", cell])}, seeds=[SEED])
    for name, (problem, length, seconds, budgets) in PLAN.items():
        for cell in CELLS:
            if wanted(f"{name}/{cell}"):
                results.record(f"{name}/{cell}", longrange(name, problem, length, cell, budgets.get(cell, seconds)),
                               seeds=[SEED])
    for k in (10, 30):
        if wanted(f"autoencoder/k{k}"):
            autoencoder(results, k)
    if not args.only or "clipping" in args.only:
        clipping(results)
    if not args.only or "figures" in args.only:
        figures()
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
