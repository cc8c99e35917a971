"""Step-by-step speed: rnnkit's decoders against the same models written plainly in PyTorch, run
interleaved in one process, with the machine's speed index.

    python benchmarks/decoders.py [PART ...] [--run RUN_DIR] [--data DIR] [--fresh]

Parts (default: all, each skipped when recorded):
- ``generation``: characters/s sampling one stream from a 1 x 512 character LSTM: the
  ``model.step()`` loop and the C++ sampler against an ``nn.LSTMCell`` loop (the contenders of
  ``benchmarks/lm.py``).
- ``seq2seq``: milliseconds per forward + backward of an encoder-decoder with general attention
  and input feeding, batch 64, 15 source and 15 target tokens, at the Multi30k size (vocabulary
  8,000 per side, embedding 256, hidden 512) and a small one (1,000, 128, 256):
  ``rnnkit.models.Seq2Seq`` against the same model written plainly (``PlainSeq2Seq``: an
  ``nn.LSTM`` encoder, an ``nn.LSTMCell`` decoder and attention in a Python loop, as OpenNMT-py's
  input-feed decoder and most tutorials build it).
- ``translation``: sentences/s translating Multi30k's test_2016_flickr (1,000 sentences, batches
  of 64) with a trained translation run (``--run``), greedy and beam 5; ``--label`` records
  another checkout's figure (run with ``PYTHONPATH`` at it) next to this one's.
Results: benchmarks/results/decoders.json.
"""
from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

import lm
from common import DATA, HERE, RUNS, Results

PARTS = ("generation", "seq2seq", "translation")
SIZES = {"multi30k": (8000, 256, 512), "small": (1000, 128, 256)}   # vocabulary per side, embedding, hidden
BATCH, SOURCE, TARGET = 64, 15, 15


class PlainSeq2Seq(nn.Module):
    """``rnnkit.models.Seq2Seq(attention="general", dropout=0)`` written plainly: a bidirectional
    ``nn.LSTM`` encoder, a bridge to the decoder's first state, and an ``nn.LSTMCell`` decoder fed
    ``[E y_{t-1}; h~_{t-1}]``, with ``score_i = s . (W h_i)``, ``h~ = tanh(W_c [context; s])``."""

    def __init__(self, vocab: int, embedding: int, hidden: int):
        super().__init__()
        self.src_embedding = nn.Embedding(vocab, embedding, padding_idx=0)
        self.tgt_embedding = nn.Embedding(vocab, embedding, padding_idx=0)
        self.encoder = nn.LSTM(embedding, hidden // 2, bidirectional=True)
        self.bridge = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(2))
        self.decoder = nn.LSTMCell(embedding + hidden, hidden)
        self.score = nn.Linear(hidden, hidden, bias=False)
        self.combine = nn.Linear(2 * hidden, hidden, bias=False)
        self.output = nn.Linear(hidden, vocab)

    def loss(self, src, lengths, tgt_in, tgt_out):
        states, (h, c) = self.encoder(self.src_embedding(src))      # equal lengths: no packing needed
        state = tuple(torch.tanh(b(torch.cat([s[0], s[1]], -1))) for b, s in zip(self.bridge, (h, c)))
        keys = self.score(states)                                       # W h_i, once per sentence
        feed = states.new_zeros(src.shape[1], states.shape[-1])
        outputs = []
        for embedded in self.tgt_embedding(tgt_in):
            state = self.decoder(torch.cat([embedded, feed], -1), state)
            weights = (keys * state[0]).sum(-1).softmax(0)              # [S, B]
            context = (weights[..., None] * states).sum(0)
            feed = torch.tanh(self.combine(torch.cat([context, state[0]], -1)))
            outputs.append(feed)
        logits = self.output(torch.stack(outputs))
        return nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), reduction="sum"), tgt_out.numel()


def seq2seq(results: Results, reps: int = 9) -> None:
    from rnnkit.models import Seq2Seq

    for size, (vocab, embedding, hidden) in SIZES.items():
        torch.manual_seed(0)
        models = {"plain PyTorch (nn.LSTM + nn.LSTMCell loop)": PlainSeq2Seq(vocab, embedding, hidden),
                  "rnnkit.models.Seq2Seq": Seq2Seq(vocab, vocab, embedding_dim=embedding, hidden_size=hidden,
                                                   attention="general", dropout=0.0)}
        src = torch.randint(4, vocab, (SOURCE, BATCH))
        lengths = torch.full((BATCH,), SOURCE)
        tgt_in, tgt_out = torch.randint(4, vocab, (TARGET, BATCH)), torch.randint(4, vocab, (TARGET, BATCH))
        times = {name: [] for name in models}
        for k in range(reps + 2):                                       # two warm-up rounds
            order = list(models.items())
            for name, model in order[k % 2:] + order[: k % 2]:          # who goes first alternates
                model.zero_grad(set_to_none=True)
                start = time.perf_counter()
                nats, count = model.loss(src, lengths, tgt_in, tgt_out)
                (nats / count).backward()
                if k >= 2:
                    times[name].append(time.perf_counter() - start)
        ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
        plain = ms["plain PyTorch (nn.LSTM + nn.LSTMCell loop)"]
        results[f"seq2seq_{size}"] = {"vocab": vocab, "embedding": embedding, "hidden": hidden, "batch": BATCH,
                                      "source": SOURCE, "target": TARGET, "reps": reps, "ms": ms,
                                      "speed_vs_plain": {name: plain / t for name, t in ms.items()}}


def translation(results: Results, run: Path, data: Path, label: str | None = None) -> None:
    from rnnkit import load
    from rnnkit.decoding import translate

    if not (run / "config.json").is_file():
        print(f"translation: no trained run in {run} (train one, e.g. `make bench-translate`, and give --run)",
              file=sys.stderr)
        return
    model = load(run, device="cpu")
    with gzip.open(data / "multi30k" / "test_2016_flickr.de.gz", "rt", encoding="utf-8") as f:
        sources = f.read().splitlines()
    translate(model, sources[:64], beam_size=5)                          # warm-up
    speeds = {}
    for beam in (1, 5):
        start = time.perf_counter()
        translate(model, sources, beam_size=beam, batch_size=64)
        speeds[f"beam{beam}"] = len(sources) / (time.perf_counter() - start)
    import rnnkit

    results["translation" + (f"_{label}" if label else "")] = {
        "run": str(run), "code": str(Path(rnnkit.__file__).parent), "sentences": len(sources),
        "sentences_per_s": speeds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", metavar="PART",
                        help=f"parts to run, of {', '.join(PARTS)}")
    parser.add_argument("--run", type=Path, default=RUNS / "mt_attention",
                        help="a trained translation run directory (default: the one `make bench-translate` trains)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--label", help="record the translation part under translation_LABEL: run it with "
                        "PYTHONPATH=OTHER_CHECKOUT to measure another version of rnnkit on the same machine")
    parser.add_argument("--fresh", action="store_true", help="forget recorded results")
    args = parser.parse_args(argv)
    if set(args.parts) - set(PARTS):
        parser.error(f"unknown part(s) {sorted(set(args.parts) - set(PARTS))}; choose from {', '.join(PARTS)}")
    results = Results(HERE / "results" / "decoders.json", args.fresh)
    recorded = {"generation": "generation", "seq2seq": f"seq2seq_{list(SIZES)[-1]}",
                "translation": "translation" + (f"_{args.label}" if args.label else "")}
    for part in args.parts or PARTS:
        if recorded[part] in results:
            continue
        {"generation": lambda: lm.generation(results), "seq2seq": lambda: seq2seq(results),
         "translation": lambda: translation(results, args.run, args.data, args.label)}[part]()
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
