"""Forward+backward throughput of rnnkit's recurrent layers against torch.nn and the oracle loop.

For each size (batch, steps, inputs, units) and cell configuration, every contender runs one
forward+backward in turn (alternating, the order rotating each round, so drift on a noisy
machine hits all alike), after
warm-up; the table reports the median time, tokens/s (batch * steps / time) and the throughput
ratio against the torch.nn baseline.  Each (size, config) is saved as entry ``SIZE/config`` of
``benchmarks/results/layers.json`` (the results store, with its provenance) as soon as it is
measured, and a rerun skips what is recorded (``--fresh`` starts over).  The tables are rendered
from the entries into BENCHMARKS.md and README.md by ``benchmarks/report.py``.

    python benchmarks/layers.py [--sizes S M L] [--configs lstm gru ...] [--reps 7] [--fresh] [--exploratory]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch

import rnnkit
from common import open_results, results_options
from rnnkit.engine import oracle

SEED = 0                                   # weights and inputs of every cell
SIZES = {"S": (16, 50, 128, 128), "M": (32, 100, 256, 256), "L": (64, 200, 512, 512)}

# name -> (torch.nn baseline, rnnkit layers {label: constructor}, oracle cell name, options)
CONFIGS = {
    "lstm": (torch.nn.LSTM, {"auto": lambda d, h: rnnkit.LSTM(d, h),
                              "engine": lambda d, h: rnnkit.LSTM(d, h, backend="engine")}, "lstm", {}),
    "gru": (torch.nn.GRU, {"auto": lambda d, h: rnnkit.GRU(d, h),
                            "engine": lambda d, h: rnnkit.GRU(d, h, backend="engine")}, "gru", {}),
    "rnn": (torch.nn.RNN, {"auto": lambda d, h: rnnkit.RNN(d, h),
                            "engine": lambda d, h: rnnkit.RNN(d, h, backend="engine")}, "rnn_tanh", {}),
    "gru_before": (torch.nn.GRU, {"engine": lambda d, h: rnnkit.GRU(d, h, reset="before")}, "gru_before", {}),
    "lstm_ln": (torch.nn.LSTM, {"engine": lambda d, h: rnnkit.LSTM(d, h, layer_norm=True)}, "lstm_ln", {}),
    "lstm_recdrop": (torch.nn.LSTM, {"engine": lambda d, h: rnnkit.LSTM(d, h, recurrent_dropout=0.25)},
                     "lstm", {"recurrent_dropout": 0.25}),
}


class Oracle(torch.nn.Module):
    """The per-step autograd loop (rnnkit.engine.oracle) with a layer's parameters."""

    def __init__(self, layer, cell_name, recurrent_dropout=0.0):
        super().__init__()
        self.layer, self.cell_name, self.p = layer, cell_name, recurrent_dropout

    def forward(self, x):
        B, H = x.shape[1], self.layer.hidden_size
        states0 = tuple(x.new_zeros(B, H) for _ in range(self.layer.cell.num_states))
        drop = x.new_empty(B, H).bernoulli_(1 - self.p).div_(1 - self.p) if self.p else None
        return oracle.run(self.cell_name, x, self.layer.layer_params(0), states0, drop=drop)


def path_taken(layer, x) -> str:
    if not isinstance(layer, rnnkit.layers.RNNBase):
        return ""
    return "torch" if layer.uses_torch_kernel(x, None) else "engine"


def measure(contenders: dict, x: torch.Tensor, reps: int, warmup: int = 2) -> dict[str, float]:
    times = {k: [] for k in contenders}
    names = list(contenders)
    for r in range(warmup + reps):
        for name in names[r % len(names):] + names[: r % len(names)]:   # rotate who goes first
            module = contenders[name]
            start = time.perf_counter()
            out = module(x)[0]
            out.sum().backward()
            elapsed = time.perf_counter() - start
            if r >= warmup:
                times[name].append(elapsed)
            module.zero_grad(set_to_none=True)
            x.grad = None
    return {k: statistics.median(v) for k, v in times.items()}


def run_one(config: str, size: str, reps: int) -> dict:
    baseline_cls, ours, oracle_cell, options = CONFIGS[config]
    B, T, D, H = SIZES[size]
    torch.manual_seed(SEED)
    baseline = baseline_cls(D, H)
    contenders = {"torch.nn": baseline}
    paths = {}
    for label, make in ours.items():
        layer = make(D, H)
        layer.load_state_dict(baseline.state_dict(), strict=False)
        contenders[f"rnnkit ({label})"] = layer
    first = next(m for k, m in contenders.items() if k.startswith("rnnkit"))
    contenders["oracle loop"] = Oracle(first, oracle_cell, options.get("recurrent_dropout", 0.0))
    x = torch.randn(T, B, D, requires_grad=True)
    for name, m in contenders.items():
        m.train()
        paths[name] = path_taken(m, x)
    medians = measure(contenders, x, reps)
    base = medians["torch.nn"]
    return {"config": config, "size": size, "shape": [B, T, D, H], "reps": reps,
            "rows": [{"contender": name, "path": paths[name], "ms": 1e3 * t,
                      "tokens_per_s": B * T / t, "ratio_vs_torch": base / t}
                     for name, t in medians.items()]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--reps", type=int, default=7, help="timed runs per contender (after 2 warm-up runs)")
    results_options(parser)
    args = parser.parse_args(argv)

    results = open_results("layers", args)
    for size in args.sizes:
        for config in args.configs:
            if f"{size}/{config}" in results:
                continue
            print(f"  {size} {SIZES[size]} {config} ...", file=sys.stderr, flush=True)
            results.record(f"{size}/{config}", run_one(config, size, args.reps), seeds=[SEED])
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
