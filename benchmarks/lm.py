"""Language-model benchmarks: tinyshakespeare, Penn Treebank, generation speed.

    python benchmarks/lm.py shakespeare   # validation loss after 2, 5, 15 and 20 minutes
    python benchmarks/lm.py ptb           # Zaremba et al. 2014 small config, then the best in 30 minutes
    python benchmarks/lm.py generation    # characters per second, one stream, 1 x 512 char LSTM

Every training run goes through ``rnnkit train lm`` into ``benchmarks/results/runs/NAME`` and
is scored with ``rnnkit evaluate`` where there is a test set.  Results are saved to
``benchmarks/results/lm.json`` (the results store, with each run's provenance) after each run; a
rerun skips the runs already recorded (``--fresh`` forgets them, ``--exploratory`` marks what this
run records as exploratory).  Data: ``../shared/data`` (``--data`` to point elsewhere).  The tables
are rendered from the entries into BENCHMARKS.md by ``benchmarks/report.py``.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch

from common import DATA, Results, evaluate, metrics, open_results, results_options, speed, train

SEED = 0                                   # every training run's --seed, and the generation model's weights

# tinyshakespeare: nanoGPT's split (first 90% train, last 10% validation).  Each run gets its
# own budget (its cosine schedule spans it); the validation loss is read at these minutes of
# training.  The LayerNorm LSTM is the lever: in 150-s probes it reached 1.503 against 1.617
# for the plain LSTM of the same size (BENCHMARKS.md).
LN_LSTM = ["--level", "char", "--layers", "2", "--hidden", "512", "--layer-norm", "--batch-size", "32",
           "--bptt", "100", "--lr", "4e-3", "--warmup", "20"]
SHAKESPEARE_RUNS = {
    "shakespeare_5min": (300, [2, 5], [*LN_LSTM, "--dropout", "0.2", "--eval-every", "100"]),
    "shakespeare_20min": (1200, [15, 20], [*LN_LSTM, "--dropout", "0.25", "--recurrent-dropout", "0.1",
                                           "--eval-every", "200"]),
}

# Zaremba et al. 2014, small: 2 x 200 LSTM, 13 epochs, SGD lr 1 on the loss summed over 20 steps
# (= 20 on the mean loss), halved every epoch after the 4th, uniform init 0.1, clip 5 on the sum
# (= 0.25 on the mean), TBPTT 20, batch 20, no dropout.
ZAREMBA_SMALL = ["--level", "word", "--layers", "2", "--hidden", "200", "--embedding", "200", "--epochs", "13",
                 "--optimizer", "sgd", "--lr", "20", "--weight-decay", "0", "--clip", "0.25", "--schedule", "step",
                 "--lr-decay", "0.5", "--decay-start", "4", "--decay-every", "1", "--init-range", "0.1",
                 "--bptt", "20", "--batch-size", "20", "--dropout", "0"]
# Best within 30 minutes: the LayerNorm LSTM again (it learns fastest per second here), tied
# weights (Press & Wolf 2017), dropout 0.45, AdamW with a cosine schedule over the budget.
PTB_BEST = ["--level", "word", "--layers", "2", "--hidden", "512", "--embedding", "512", "--tie-weights",
            "--layer-norm", "--dropout", "0.45", "--bptt", "35", "--batch-size", "32", "--lr", "3e-3",
            "--warmup", "100", "--weight-decay", "0.01", "--max-time", "1800", "--eval-every", "500"]


def shakespeare(data: Path, results: Results) -> None:
    text = data / "shakespeare" / "input.txt"
    for name, (budget, marks, config) in SHAKESPEARE_RUNS.items():
        if name in results:
            continue
        run, wall = train("lm", name, ["--text", str(text), "--valid-fraction", "0.1", *config,
                                       "--max-time", str(budget), "--seed", str(SEED)])
        records = metrics(run)
        evals = [r for r in records if "valid_loss" in r]
        at = {}
        for m in marks:
            seen = [r for r in evals if r["elapsed"] <= m * 60 + 1]
            at[f"{m} min"] = seen[-1]["valid_loss"] if seen else None
        results.record(name, {"config": " ".join(config), "budget_s": budget, "wall_s": wall,
                              "valid_loss_at": at, "best_valid_loss": min(r["valid_loss"] for r in evals),
                              "tokens_per_s": speed(records), "evaluations": len(evals)}, seeds=[SEED])


def ptb(data: Path, results: Results) -> None:
    d = data / "ptb"
    files = ["--text", str(d / "ptb.train.txt"), "--valid", str(d / "ptb.valid.txt")]
    for name, config in (("ptb_zaremba_small", ZAREMBA_SMALL), ("ptb_best_30min", PTB_BEST)):
        if name in results:
            continue
        run, wall = train("lm", name, [*files, *config, "--seed", str(SEED)])
        records = metrics(run)
        test = evaluate(run, d / "ptb.test.txt")
        valid = min(r["valid_loss"] for r in records if "valid_loss" in r)
        results.record(name, {"config": " ".join(config), "wall_s": wall, "test_perplexity": test["perplexity"],
                              "test_tokens": test["tokens"], "best_valid_perplexity": math.exp(valid),
                              "tokens_per_s": speed(records)}, seeds=[SEED])


@torch.no_grad()
def generation(results: Results, length: int = 3000, reps: int = 3) -> None:
    """Characters per second sampling one stream from a 1 x 512 char LSTM (random weights: the
    speed does not depend on them), rnnkit against torch.nn.LSTM stepped in a Python loop."""
    from rnnkit.decoding import generate, sample
    from rnnkit.models import LanguageModel

    torch.manual_seed(SEED)
    V, H = 65, 512
    model = LanguageModel(V, embedding_dim=H, hidden_size=H, num_layers=1).eval()
    ref = torch.nn.LSTM(H, H)
    ref.load_state_dict(model.rnn.state_dict())
    emb, out = model.embedding, model.output

    def torch_loop():
        token, state = torch.tensor([0]), None
        gen = torch.Generator().manual_seed(0)
        for _ in range(length):
            h, state = ref(emb(token)[None], state)
            token = sample(out(h[0]), 1.0, generator=gen)

    cell = torch.nn.LSTMCell(H, H)
    cell.load_state_dict({k.replace("_l0", ""): v for k, v in ref.state_dict().items()})

    def torch_cell_loop():
        token, state = torch.tensor([0]), None
        gen = torch.Generator().manual_seed(0)
        for _ in range(length):
            state = cell(emb(token), state)
            token = sample(out(state[0]), 1.0, generator=gen)

    def rnnkit_generic():
        model.one_step_weights = lambda: None        # the model.step() loop of rnnkit.decoding
        try:
            generate(model, [0], length, generator=torch.Generator().manual_seed(0))
        finally:
            del model.one_step_weights

    def rnnkit_fast():
        generate(model, [0], length, generator=torch.Generator().manual_seed(0))

    contenders = {"torch.nn.LSTM step loop": torch_loop, "torch.nn.LSTMCell step loop": torch_cell_loop,
                  "rnnkit model.step() loop": rnnkit_generic,
                  "rnnkit generate (C++ sampler)": rnnkit_fast}
    times = {k: [] for k in contenders}
    for f in contenders.values():
        f()                                           # warm-up
    for _ in range(reps):
        for name, f in contenders.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    results.record("generation", {"length": length, "reps": reps,
                                  "chars_per_s": {k: length / statistics.median(v) for k, v in times.items()}},
                   seeds=[SEED])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="+", choices=["shakespeare", "ptb", "generation"])
    parser.add_argument("--data", type=Path, default=DATA)
    results_options(parser)
    args = parser.parse_args(argv)
    results = open_results("lm", args)
    for which in args.which:
        {"shakespeare": lambda: shakespeare(args.data, results), "ptb": lambda: ptb(args.data, results),
         "generation": lambda: generation(results)}[which]()
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
