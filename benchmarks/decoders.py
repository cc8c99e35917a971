"""Step-by-step speed: rnnkit's decoders against the same models written plainly in PyTorch, run
interleaved in one process, with the machine's speed index.

    python benchmarks/decoders.py [PART ...] [--run RUN_DIR] [--data DIR] [--label LABEL] [--fresh] [--exploratory]

Parts (named ones run again, replacing their entries; default: all, each skipped when recorded):
- ``generation``: characters/s sampling one stream from a 1 x 512 character LSTM: the
  ``model.step()`` loop and the C++ sampler against an ``nn.LSTMCell`` loop (the contenders of
  ``benchmarks/lm.py``).
- ``seq2seq``: milliseconds per forward + backward of an encoder-decoder with general attention
  and input feeding, batch 64, 15 source and 15 target tokens, at the Multi30k size (vocabulary
  8,000 per side, embedding 256, hidden 512) and a small one (1,000, 128, 256):
  ``rnnkit.models.Seq2Seq`` against the same model written plainly (``PlainSeq2Seq``: an
  ``nn.LSTM`` encoder, an ``nn.LSTMCell`` decoder and attention in a Python loop, as OpenNMT-py's
  input-feed decoder and most tutorials build it), and the same rnnkit model through the step
  loop its decoder ran before issue 19's whole-sequence operation.
- ``captioner``: milliseconds per forward + backward of the captioner of ``make bench-caption``
  (CNN, general attention over 85 regions, batch 32, 6 caption tokens): ``rnnkit.models.Captioner``
  against the same model with its decoder written plainly (``PlainCaptioner``) and against its
  own step loop.
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
from unittest import mock

import torch
from torch import nn

import lm
from common import DATA, RUNS, Results, open_results, results_options

PARTS = ("generation", "seq2seq", "captioner", "translation")
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


class StepLoop:
    """An rnnkit model trained through the step loop its decoder ran before issue 19
    (``Decoder._whole_sequence`` off): the same weights, the old path."""

    def __init__(self, model):
        self.model = model

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.model.zero_grad(set_to_none=set_to_none)

    def loss(self, *batch):
        from rnnkit.models.decoder import Decoder

        with mock.patch.object(Decoder, "_whole_sequence", lambda *args: None):
            return self.model.loss(*batch)


def training_steps(models: dict, batch: tuple, reps: int) -> dict:
    """Median milliseconds of one forward + backward (the mean loss per token) of each model on
    ``batch``, interleaved, who goes first rotating, after two warm-up rounds."""
    times = {name: [] for name in models}
    for k in range(reps + 2):
        order = list(models.items())
        for name, model in order[k % len(order):] + order[: k % len(order)]:
            model.zero_grad(set_to_none=True)
            start = time.perf_counter()
            nats, count = model.loss(*batch)
            (nats / count).backward()
            if k >= 2:
                times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def record(results: Results, key: str, ms: dict, **about) -> None:
    plain = ms[PLAIN]
    results.record(key, {**about, "ms": ms, "speed_vs_plain": {name: plain / t for name, t in ms.items()}},
                   seeds=[SEED])
    print(key, {name: round(t, 1) for name, t in ms.items()}, file=sys.stderr)


PLAIN = "plain PyTorch (nn.LSTMCell decoder loop)"
SEED = 0        # of the weights and the batch of the training-step parts (and of lm.generation's weights)


def seq2seq(results: Results, reps: int = 9) -> None:
    from rnnkit.models import Seq2Seq

    for size, (vocab, embedding, hidden) in SIZES.items():
        torch.manual_seed(SEED)
        ours = Seq2Seq(vocab, vocab, embedding_dim=embedding, hidden_size=hidden, attention="general", dropout=0.0)
        models = {PLAIN: PlainSeq2Seq(vocab, embedding, hidden), "rnnkit.models.Seq2Seq": ours,
                  "rnnkit.models.Seq2Seq, step loop (before issue 19)": StepLoop(ours)}
        src = torch.randint(4, vocab, (SOURCE, BATCH))
        lengths = torch.full((BATCH,), SOURCE)
        tgt_in, tgt_out = torch.randint(4, vocab, (TARGET, BATCH)), torch.randint(4, vocab, (TARGET, BATCH))
        record(results, f"seq2seq_{size}", training_steps(models, (src, lengths, tgt_in, tgt_out), reps),
               vocab=vocab, embedding=embedding, hidden=hidden, batch=BATCH, source=SOURCE, target=TARGET, reps=reps)


class PlainCaptioner(nn.Module):
    """``rnnkit.models.Captioner(attention="general", dropout=0)`` with its decoder written plainly:
    the same CNN (``rnnkit.layers.images.ImageEncoder``: a vector and the regions), a bridge to the
    decoder's first state, an ``nn.LSTMCell`` decoder fed ``[E y_{t-1}; h~_{t-1}]``, ``score_i = s .
    (W m_i)`` over the regions, ``h~ = tanh(W_c [context; s])``."""

    def __init__(self, vocab: int, embedding: int, hidden: int, size: tuple[int, int], channels: tuple[int, ...]):
        from rnnkit.layers.images import ImageEncoder

        super().__init__()
        self.cnn = ImageEncoder(1, size[1], size[0], channels)
        self.bridge = nn.ModuleList(nn.Linear(self.cnn.vector_size, hidden) for _ in range(2))
        self.embedding = nn.Embedding(vocab, embedding, padding_idx=0)
        self.decoder = nn.LSTMCell(embedding + hidden, hidden)
        self.score = nn.Linear(self.cnn.feature_size, hidden, bias=False)
        self.combine = nn.Linear(self.cnn.feature_size + hidden, hidden, bias=False)
        self.output = nn.Linear(hidden, vocab)

    def loss(self, images, tgt_in, tgt_out):
        vector, regions = self.cnn(images.float() / 255)
        state = tuple(torch.tanh(b(vector)) for b in self.bridge)
        keys = self.score(regions)                                      # W m_i, once per image
        feed = regions.new_zeros(len(images), state[0].shape[-1])
        outputs = []
        for embedded in self.embedding(tgt_in):
            state = self.decoder(torch.cat([embedded, feed], -1), state)
            weights = (keys * state[0]).sum(-1).softmax(0)              # [regions, B]
            context = (weights[..., None] * regions).sum(0)
            feed = torch.tanh(self.combine(torch.cat([context, state[0]], -1)))
            outputs.append(feed)
        logits = self.output(torch.stack(outputs))
        return nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), reduction="sum"), tgt_out.numel()


def captioner(results: Results, reps: int = 9) -> None:
    """The training step of ``make bench-caption``'s counting model: 136 x 44 canvases, CNN
    16,32,64 (85 regions), general attention, hidden 256, embedding 64, batch 32, captions of
    6 tokens (4 digits, <bos>/<eos>), vocabulary 14."""
    from rnnkit.models import Captioner

    vocab, embedding, hidden, size, channels, batch, length = 14, 64, 256, (136, 44), (16, 32, 64), 32, 6
    torch.manual_seed(SEED)
    ours = Captioner(vocab, image_size=size, embedding_dim=embedding, hidden_size=hidden, attention="general",
                     cnn_channels=channels, dropout=0.0)
    models = {PLAIN: PlainCaptioner(vocab, embedding, hidden, size, channels), "rnnkit.models.Captioner": ours,
              "rnnkit.models.Captioner, step loop (before issue 19)": StepLoop(ours)}
    images = torch.randint(0, 256, (batch, 1, size[1], size[0]), dtype=torch.uint8)
    tgt_in, tgt_out = torch.randint(3, vocab, (length, batch)), torch.randint(3, vocab, (length, batch))
    record(results, "captioner", training_steps(models, (images, tgt_in, tgt_out), reps), vocab=vocab,
           embedding=embedding, hidden=hidden, image=list(size), cnn=list(channels), batch=batch, target=length,
           reps=reps)


def translation(results: Results, run: Path, data: Path, label: str | None = None) -> None:
    from rnnkit import load
    from rnnkit.tasks.translation.decode import translate

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

    results.record("translation" + (f"_{label}" if label else ""), {
        "run": str(run), "code": str(Path(rnnkit.__file__).parent), "sentences": len(sources),
        "sentences_per_s": speeds})      # the seeds are the trained run's, which this part does not know


def generation(results: Results) -> None:
    """``lm.generation``'s contenders, recorded with the seed of their weights and draws."""
    lm.generation(results)
    results.record("generation", results["generation"], seeds=[SEED])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", metavar="PART",
                        help=f"parts to run, of {', '.join(PARTS)}")
    parser.add_argument("--run", type=Path, default=RUNS / "mt_attention",
                        help="a trained translation run directory (default: the one `make bench-translate` trains)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--label", help="record the translation part under translation_LABEL: run it with "
                        "PYTHONPATH=OTHER_CHECKOUT to measure another version of rnnkit on the same machine")
    results_options(parser)
    args = parser.parse_args(argv)
    if set(args.parts) - set(PARTS):
        parser.error(f"unknown part(s) {sorted(set(args.parts) - set(PARTS))}; choose from {', '.join(PARTS)}")
    results = open_results("decoders", args)
    recorded = {"generation": "generation", "seq2seq": f"seq2seq_{list(SIZES)[-1]}", "captioner": "captioner",
                "translation": "translation" + (f"_{args.label}" if args.label else "")}
    for part in args.parts or PARTS:
        if not args.parts and recorded[part] in results:
            continue
        {"generation": lambda: generation(results), "seq2seq": lambda: seq2seq(results),
         "captioner": lambda: captioner(results),
         "translation": lambda: translation(results, args.run, args.data, args.label)}[part]()
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
