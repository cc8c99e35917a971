"""Language modelling: predict the next character or word of a text; sample and complete text."""
from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass

import torch

from rnnkit.analysis.gates import format_gate_statistics, gate_statistics
from rnnkit.analysis.plots import plot_gate_statistics
from rnnkit.data import LEVELS, StreamBatches, Vocab, read_text, tokenizer_for
from rnnkit.decoding import beam_search, generate
from rnnkit.errors import RnnkitError
from rnnkit.models import LanguageModel
from rnnkit.tasks.base import Output, Prepared, Task, Verb, load, load_weights, parameters, warn_unknown, write_export
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import (DEVICE, Option, held_out, like, non_negative_float, option, output_file,
                                  positive_float, positive_int, run_dir_argument, test_data, top_p,
                                  valid_fraction_option)
from rnnkit.training import distributed, format_lm_metrics, lm_metrics

DEFAULT_BPTT = {"char": 100, "word": 35}
EVAL_WINDOW = 256


@dataclass
class LanguageModelConfig(RecurrentConfig, TrainingConfig):
    text: str = option(None, "training text, UTF-8 (.gz accepted)", required=True, metavar="FILE", group="data")
    valid: str | None = option(None, "validation text", flags=("--valid", "--dev"), metavar="FILE", group="data",
                               exclusive="valid")
    valid_fraction: float | None = valid_fraction_option("use the last fraction F of --text for validation", "--valid")
    level: str = option("char", "tokens: characters, or whitespace-separated words with <eos> at each line end",
                        choices=LEVELS, group="data")
    bptt: int | None = option(None, "truncated-BPTT window (default: 100 for char, 35 for word)", type=positive_int,
                              metavar="STEPS", group="data")
    eval_batch_size: int = option(16, "validation streams (1 scores every token with full context; more is faster)",
                                  type=positive_int, group="data")
    min_freq: int = option(1, "keep tokens seen at least this often", type=positive_int, group="data")
    max_vocab: int | None = option(None, "keep at most this many tokens (most frequent)", type=positive_int,
                                   group="data")
    layers: int = like(2)
    dropout: float = like(0.1)
    embedding: int | None = option(None, "embedding size (default: --hidden)", type=positive_int, group="model")
    tie_weights: bool = option(False, "share the embedding and output weights", group="model")
    init_range: float | None = option(None, "uniform initialisation in ±R (default: torch's)", type=positive_float,
                                      group="model")


class LanguageModelTask(Task):
    name, noun = "lm", "language model"
    help = "train a character- or word-level language model on a text file"
    description = ("Train a recurrent language model (predict the next token) with truncated backpropagation "
                   "through time, and save it in a run directory.")
    Config, model_class = LanguageModelConfig, LanguageModel
    files = ("vocab.json",)
    show_perplexity = True
    evaluate_options = (test_data("text"),)
    evaluate_help = "a language model gives loss, perplexity and bits per character (--test: text)"

    def prepare(self, run) -> Prepared:
        c = self.config
        bptt = c.bptt or DEFAULT_BPTT[c.level]
        tokenizer = tokenizer_for(c.level)
        text = read_text(c.text)
        train_tokens, valid_tokens, valid_text = self._split(tokenizer.tokenize(text), tokenizer, bptt)
        vocab = (Vocab.load(run.path / "vocab.json") if run is not None else
                 Vocab.build(train_tokens, min_freq=c.min_freq, max_size=c.max_vocab))
        ids = torch.tensor(vocab.encode(train_tokens))
        world = distributed.current()
        if world.size > 1:   # each rank its own streams (the state carries between a stream's windows): with N
            part = (len(ids) - 1) // world.size   # ranks the streams of one process with N x --batch-size
            ids = ids[world.rank * part : (world.rank + 1) * part + 1]
        batches = StreamBatches(ids, c.batch_size, bptt, name=c.text)
        valid = None
        if valid_tokens:
            ids = torch.tensor(vocab.encode(valid_tokens))
            streams = StreamBatches(ids, min(c.eval_batch_size, max(1, len(ids) // 64)), EVAL_WINDOW,
                                    require_window=False, name=c.valid or f"{c.text} (validation part)")
            valid = (streams, tokenizer.count_chars(valid_text) / len(valid_tokens))
        if c.tie_weights and (c.embedding or c.hidden) != c.hidden:
            raise RnnkitError(f"--tie-weights needs --embedding equal to --hidden ({c.embedding} != {c.hidden})")
        model = LanguageModel(len(vocab), embedding_dim=c.embedding or c.hidden, tie_weights=c.tie_weights,
                              init_range=c.init_range, vocab=vocab, tokenizer=tokenizer, **c.recurrent_options())
        description = (f"{c.level}-level {c.cell.upper()} language model: "
                       f"{parameters(model)}, vocabulary {len(vocab):,}, "
                       f"{batches.num_tokens:,} training tokens in {len(batches)} windows of {bptt} x {c.batch_size}")
        return Prepared(model, lambda epoch: batches, valid, {"level": c.level}, description, sharded=True)

    def _split(self, tokens: list[str], tokenizer, bptt: int):
        """Training and validation tokens, and the text the validation tokens cover."""
        c = self.config
        if c.valid:
            valid_text = read_text(c.valid)
            return tokens, tokenizer.tokenize(valid_text), valid_text
        fraction = held_out(c.valid_fraction)
        cut = int(len(tokens) * (1 - fraction))
        if fraction == 0:
            return tokens, [], ""
        if c.valid_fraction is None and len(tokens) - cut < bptt + 1:
            warnings.warn(f"{c.text}: too short to keep 10% for validation; training without validation")
            return tokens, [], ""
        return tokens[:cut], tokens[cut:], tokenizer.detokenize(tokens[cut:])

    def loss(self, model, batch, carry, step):
        return model.loss(*batch, carry)

    def validate(self, model, valid) -> dict:
        streams, chars_per_token = valid
        nats, count = model.stream_nats(streams)
        return lm_metrics(nats, count, round(count * chars_per_token))

    def result(self, run, prepared, summary):
        if prepared.valid is None:
            return "no validation data", []
        return f"best validation loss {summary['best_valid']:.4f} nats/token", []

    def save(self, run, prepared) -> None:
        prepared.model.vocab.save(run.path / "vocab.json")

    @classmethod
    def load(cls, run, config, device):
        level = config["data"]["level"]
        return load_weights(cls, run, config, device, vocab=Vocab.load(run.path / "vocab.json"),
                            tokenizer=tokenizer_for(level))

    @classmethod
    def export(cls, model, folder):
        """``step.onnx``: one token per stream and the state in, the next token's logits and the
        next state out (``rnnkit.models.onnx.language_model_step``)."""
        from rnnkit.models.onnx import STATE_NAMES, language_model_step

        rnn = model.rnn
        states = list(STATE_NAMES[: rnn.cell.num_states])
        return write_export(folder, {"step.onnx": language_model_step(model)}, {
            "task": cls.name, "level": model.run_config["data"]["level"], "vocabulary": model.vocab.tokens,
            "unknown": "<unk>", "step": {"inputs": ["token", *states], "outputs": ["logits", *(f"{s}_next" for s in states)],
                                         "state_shape": [rnn.num_layers, "batch", rnn.hidden_size],
                                         "initial_state": "zeros"}})

    @classmethod
    def evaluate(cls, model, args):
        """Loss, perplexity and bits per character of ``args.test``."""
        text = read_text(args.test)
        tokens = model.tokenizer.tokenize(text)
        unknown = model.vocab.unknown(tokens)
        if unknown:
            warnings.warn(f"{args.test}: {len(unknown)} token type(s) outside the vocabulary are scored as <unk>")
        batches = StreamBatches(torch.tensor(model.vocab.encode(tokens)), 1, EVAL_WINDOW, name=args.test,
                                require_window=False)
        nats, count = model.stream_nats(batches)
        return lm_metrics(nats, count, round(count * model.tokenizer.count_chars(text) / len(tokens))), []

    format_metrics = staticmethod(format_lm_metrics)


def encode_prime(model, prime: str) -> list[int]:
    """The ids of ``prime`` (a warning names the tokens read as <unk>)."""
    tokens = model.tokenizer.tokenize(prime)
    warn_unknown(tokens, model.vocab, "the prime")
    return model.vocab.encode(tokens)


def never_written(model) -> set[int]:
    """The ids generated text never holds: the special tokens, except a word model's end of line."""
    vocab = model.vocab
    ends = {vocab.eos_id} if model.tokenizer.level == "word" else set()
    return {vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id} - ends


def sample_text(model, prime: str, length: int, *, temperature: float = 0.8, top_k: int | None = None,
                top_p: float | None = None, seed: int = 0) -> str:
    """``prime`` followed by ``length`` sampled tokens, as text."""
    if prime == "":
        raise RnnkitError("--prime must not be empty")
    ids = encode_prime(model, prime) or [model.vocab.eos_id]   # a word prime of only spaces: as after a line
    out = generate(model, ids, length, temperature=temperature, top_k=top_k, top_p=top_p,
                   generator=torch.Generator().manual_seed(seed), banned=never_written(model))
    text = model.tokenizer.detokenize(model.vocab.decode(out))
    joiner = " " if model.tokenizer.level == "word" and not prime[-1:].isspace() else ""
    return prime + joiner + text


def completions(model, prefix: list[int], k: int, max_length: int) -> list[tuple[str, float]]:
    """The ``k`` most likely distinct continuations of ``prefix`` (token ids) as (text, probability):
    a character model finishes the word (a space or punctuation ends it), a word model continues
    the line (its end ends it); what ends a continuation is not part of its text, and the
    continuations that read the same are one, with the summed probability.  Special tokens are
    never produced."""
    vocab = model.vocab
    if model.tokenizer.level == "char":
        stop = {i for i, t in enumerate(vocab.tokens) if len(t) == 1 and not t.isalnum()}
    else:
        stop = {vocab.eos_id}
    banned = never_written(model) - stop
    merged: dict[str, float] = {}
    for ids, logp in beam_search(model, prefix, k=k, max_length=max_length, stop=stop, banned=banned,
                                 merge_stops=True):
        text = model.tokenizer.detokenize(vocab.decode([i for i in ids if i not in stop]))
        merged[text] = merged.get(text, 0.0) + math.exp(logp)
    return sorted(merged.items(), key=lambda item: -item[1])


@torch.no_grad()
def gate_readings(model, text: str) -> list[dict]:
    """What the first layer of an LSTM language model does while it reads ``text``: per token,
    the input, forget and output gates and |c| averaged over the units, and the model's most
    likely next token with its probability."""
    tokens = model.tokenizer.tokenize(text)
    ids = torch.tensor(model.vocab.encode(tokens), device=model.embedding.weight.device)[:, None]
    probs = model(ids)[0][:, 0].softmax(-1)
    trace = model.rnn.trace(model.embedding(ids))
    i, f, o = (trace.gates[g][0, :, 0] for g in "ifo")
    c = trace.c[0, :, 0]
    readings = []
    for t, token in enumerate(tokens):
        p, k = probs[t].max(0)
        readings.append({"token": token, "i": float(i[t].mean()), "f": float(f[t].mean()), "o": float(o[t].mean()),
                         "c": float(c[t].abs().mean()), "next": model.vocab.tokens[int(k)], "p": float(p)})
    return readings


def _generate(args) -> Output:
    model = load(args.run_dir, args.device, task="lm")
    text = sample_text(model, args.prime, args.length, temperature=args.temperature, top_k=args.top_k,
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

LanguageModelTask.verbs = (GENERATE, COMPLETE, GATES)
