"""``rnnkit generate``, ``rnnkit complete`` and ``rnnkit gates``: a trained language model's text, its
best completions, and its gates along a text."""
from __future__ import annotations

import json

import torch

from rnnkit.analysis.gates import format_gate_statistics, gate_statistics
from rnnkit.analysis.plots import plot_gate_statistics
from rnnkit.data import read_text
from rnnkit.errors import RnnkitError
from rnnkit.tasks.base import Output, Verb, load
from rnnkit.tasks.language_model.demo import DEMO
from rnnkit.tasks.language_model.generate import completions, encode_prime
from rnnkit.tasks.options import DEVICE, Option, non_negative_float, output_file, positive_int, run_dir_argument, top_p


def _generate(args) -> Output:
    model = load(args.run_dir, args.device, task="lm")
    text = model.predict(args.prime, length=args.length, temperature=args.temperature, top_k=args.top_k,
                         top_p=args.top_p, seed=args.seed)
    return Output(text if text.endswith("\n") else text + "\n")


def _complete(args) -> Output:
    model = load(args.run_dir, args.device, task="lm")
    prefix = encode_prime(model, args.prefix)
    if not prefix:
        raise RnnkitError("the prefix must contain at least one token")
    return Output("".join(f"{text}\t{p:.4f}\n" for text, p in completions(model, prefix, args.k, args.max_length)))


def _gates(args) -> Output:
    model = load(args.run_dir, args.device, task="lm")
    tokens = model.tokenizer.tokenize(read_text(args.text))[: args.max_tokens]
    if not model.rnn.cell.gate_names:
        raise RnnkitError(f"{args.run_dir}: the model's cell ({model.rnn.cell.name}) has no gates to measure")
    if len(tokens) < 2:
        raise RnnkitError(f"{args.text}: has {len(tokens)} token(s); the gates need a text of 2 or more")
    ids = torch.tensor(model.vocab.encode(tokens), device=model.embedding.weight.device)[:, None]
    with torch.no_grad():
        trace = model.rnn.trace(model.embedding(ids))
    stats = gate_statistics(trace, model.rnn.cell.family)
    out = Output()
    if args.json:
        summary = {name: {k: g[k] for k in ("mean", "low", "high")} for name, g in stats.gates.items()}
        if stats.retention is not None:
            summary["retention"] = stats.retention.tolist()
        out.text = json.dumps(summary) + "\n"
    else:
        out.text = format_gate_statistics(stats)
    if args.plot:
        plot_gate_statistics(stats, args.plot, f"{model.rnn.cell.name}, {len(tokens):,} tokens of {args.text}")
        out.notes.append(f"gate plot: {args.plot}")
    return out


GENERATE = Verb(
    "generate", "sample text from a trained language model",
    "Print the prime followed by generated tokens (and nothing else) on stdout.",
    (run_dir_argument("lm"),
     Option("text the model reads before generating (default: a newline, as at the start of a line)",
            flags=("--prime",), dest="prime", default="\n"),
     Option("tokens to generate", flags=("--length",), dest="length", type=positive_int, default=500),
     Option("softmax temperature; 0 always takes the most likely token (greedy)", flags=("--temperature",),
            dest="temperature", type=non_negative_float, default=0.8),
     Option("sample only among the K most likely tokens", flags=("--top-k",), dest="top_k", type=positive_int),
     Option("sample only from the smallest set of most likely tokens with probability >= P, 0 < P <= 1 "
            "(1: no filtering)", flags=("--top-p",), dest="top_p", type=top_p, metavar="P"),
     Option("random seed", flags=("--seed",), dest="seed", type=int, default=0),
     DEVICE),
    _generate)
COMPLETE = Verb(
    "complete", "the most likely continuations of a prefix (autocomplete)",
    "Beam search for the K most likely ways to finish the prefix's last word (character model) or to continue it "
    "by up to --max-length words (word model); prints one CONTINUATION<TAB>PROBABILITY line per candidate, most "
    "likely first. The continuation is printed without what ends it (the space or punctuation after a word, the "
    "end of the line for a word model); candidates that print the same text are one candidate, with their "
    "probabilities summed. Special tokens (<pad>, <unk>, <bos>, <eos>) are never proposed.",
    (run_dir_argument("lm"),
     Option("the text typed so far", flags=("prefix",), dest="prefix"),
     Option("continuations to show", flags=("-k",), dest="k", type=positive_int, default=5),
     Option("longest continuation, in tokens", flags=("--max-length",), dest="max_length", type=positive_int,
            default=20),
     DEVICE),
    _complete)
GATES = Verb(
    "gates", "what the gates of a trained language model do over a text",
    "Read a text with a trained LSTM or GRU language model and measure its gates: for each gate the mean value and "
    "the shares of saturated values (a sigmoid gate below 0.1 or above 0.9, a tanh candidate below -0.9 or above "
    "0.9: gates that pass almost no gradient), one line each, and the memory's decay: the mean product of the "
    "forget gates (LSTM) or update gates (GRU) over 1, 10 and 100 steps, how much of a value the state still "
    "holds after that many steps. --plot draws the shares per gate, along the text, and the decay against "
    "distance; --json prints the figures as JSON.",
    (run_dir_argument("lm"),
     Option("the text to read (UTF-8)", flags=("text",), dest="text", metavar="TEXT_FILE"),
     Option("read at most this many tokens of the text", flags=("--max-tokens",), dest="max_tokens",
            type=positive_int, default=20_000),
     Option("draw the statistics into FILE.png", flags=("--plot",), dest="plot", type=output_file, metavar="FILE"),
     Option("print JSON instead of lines", flags=("--json",), dest="json", flag=True, default=False),
     DEVICE),
    _gates)
VERBS = (GENERATE, COMPLETE, GATES, DEMO)
