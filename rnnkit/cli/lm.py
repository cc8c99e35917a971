"""``rnnkit train lm``, ``generate``, ``complete`` and the language-model side of ``evaluate``."""
from __future__ import annotations

import json
import math
import sys
import warnings

import torch

from rnnkit.cli.formatting import HelpFormatter
from rnnkit.cli.runs import load_for, report_training, resumed, saved_args
from rnnkit.data import LEVELS, StreamBatches, Vocab, read_text, tokenizer_for
from rnnkit.decoding import beam_search, generate
from rnnkit.devices import resolve_device
from rnnkit.errors import RnnkitError
from rnnkit.models import LanguageModel
from rnnkit.training import RunDir, Trainer, format_lm_metrics, lm_metrics
from rnnkit.cli.options import (add_device_option, add_recurrent_options, add_training_options,
                                     non_negative_float, positive_float, positive_int, probability,
                                     recurrent_options, top_p, train_options)

DEFAULT_BPTT = {"char": 100, "word": 35}
EVAL_WINDOW = 256


def add_train_parser(sub) -> None:
    p = sub.add_parser("lm", help="train a character- or word-level language model on a text file",
                       description="Train a recurrent language model (predict the next token) with truncated "
                                   "backpropagation through time, and save it in a run directory.",
                       formatter_class=HelpFormatter)
    d = p.add_argument_group("data")
    d.add_argument("--text", required=True, metavar="FILE", help="training text, UTF-8 (.gz accepted)")
    v = d.add_mutually_exclusive_group()
    v.add_argument("--valid", "--dev", metavar="FILE", help="validation text")
    v.add_argument("--valid-fraction", type=probability, metavar="F",
                   help="use the last fraction F of --text for validation (default 0.1 when there is no --valid)")
    d.add_argument("--level", choices=LEVELS, default="char",
                   help="tokens: characters, or whitespace-separated words with <eos> at each line end")
    d.add_argument("--bptt", type=positive_int, metavar="STEPS",
                   help="truncated-BPTT window (default: 100 for char, 35 for word)")
    d.add_argument("--eval-batch-size", type=positive_int, default=16,
                   help="validation streams (1 scores every token with full context; more is faster)")
    d.add_argument("--min-freq", type=positive_int, default=1, help="keep tokens seen at least this often")
    d.add_argument("--max-vocab", type=positive_int, help="keep at most this many tokens (most frequent)")
    m = p.add_argument_group("model")
    add_recurrent_options(m, layers=2, hidden=256, dropout=0.1,
                          dropout_help="dropout on embeddings, between layers and before the output layer")
    m.add_argument("--embedding", type=positive_int, help="embedding size (default: --hidden)")
    m.add_argument("--tie-weights", action="store_true", help="share the embedding and output weights")
    m.add_argument("--init-range", type=positive_float, help="uniform initialisation in ±R (default: torch's)")
    add_training_options(p, lr=2e-3, batch_size=32)
    p.set_defaults(run=train)


def _model_options(args, vocab_size: int) -> dict:
    options = dict(vocab_size=vocab_size, embedding_dim=args.embedding or args.hidden, tie_weights=args.tie_weights,
                   init_range=args.init_range, **recurrent_options(args))
    if args.tie_weights and options["embedding_dim"] != args.hidden:
        raise RnnkitError(f"--tie-weights needs --embedding equal to --hidden ({args.embedding} != {args.hidden})")
    return options


def _split(args, tokens: list[str], tokenizer, text: str):
    """Training and validation tokens, and the characters the validation tokens cover."""
    if args.valid:
        valid_text = read_text(args.valid)
        return tokens, tokenizer.tokenize(valid_text), valid_text
    fraction = 0.1 if args.valid_fraction is None else args.valid_fraction
    cut = int(len(tokens) * (1 - fraction))
    if fraction == 0:
        return tokens, [], ""
    if args.valid_fraction is None and len(tokens) - cut < args.bptt + 1:
        warnings.warn(f"{args.text}: too short to keep 10% for validation; training without validation")
        return tokens, [], ""
    return tokens[:cut], tokens[cut:], tokenizer.detokenize(tokens[cut:])


def train(args) -> None:
    if args.resume:
        run, _, args = resumed(args, "lm")
        vocab = Vocab.load(run.vocab)
    else:
        run = None
    args.bptt = args.bptt or DEFAULT_BPTT[args.level]
    tokenizer = tokenizer_for(args.level)
    text = read_text(args.text)
    train_tokens, valid_tokens, valid_text = _split(args, tokenizer.tokenize(text), tokenizer, text)
    if run is None:
        vocab = Vocab.build(train_tokens, min_freq=args.min_freq, max_size=args.max_vocab)
    train_ids = torch.tensor(vocab.encode(train_tokens))
    batches = StreamBatches(train_ids, args.batch_size, args.bptt, name=args.text)
    valid = None
    if valid_tokens:
        valid_ids = torch.tensor(vocab.encode(valid_tokens))
        valid = StreamBatches(valid_ids, min(args.eval_batch_size, max(1, len(valid_ids) // 64)), EVAL_WINDOW,
                              require_window=False,
                              name=args.valid or f"{args.text} (validation part)")
        chars_per_token = tokenizer.count_chars(valid_text) / len(valid_tokens)
    options = train_options(args)
    torch.manual_seed(args.seed)
    model = LanguageModel(**_model_options(args, len(vocab)))
    if run is None:
        run = RunDir.create(args.out, resume=False)
        vocab.save(run.vocab)
        run.write_config({"task": "lm", "model": model.config, "data": {"level": args.level},
                          "args": saved_args(args)})
    print(f"{args.level}-level {args.cell.upper()} language model: {sum(p.numel() for p in model.parameters()):,} "
          f"parameters, vocabulary {len(vocab):,}, {batches.num_tokens:,} training tokens in {len(batches)} "
          f"windows of {args.bptt} x {args.batch_size}", file=sys.stderr)

    def evaluate():
        nats, count = model.stream_nats(valid)
        return lm_metrics(nats, count, round(count * chars_per_token))

    model.to(resolve_device(args.device))
    trainer = Trainer(model, run, options, batches=lambda epoch: batches,
                      step=lambda m, batch, carry: m.loss(*batch, carry),
                      evaluate=evaluate if valid is not None else None, resume=args.resume, show_perplexity=True)
    summary = trainer.fit()
    best = summary["best_valid"]
    result = f"best validation loss {best:.4f} nats/token" if valid is not None else "no validation data"
    report_training(summary, run, result)


def _encode_prime(model, prime: str) -> list[int]:
    tokens = model.tokenizer.tokenize(prime)
    unknown = model.vocab.unknown(tokens)
    if unknown:
        shown = ", ".join(repr(t) for t in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        warnings.warn(f"the prime has {len(unknown)} token(s) outside the vocabulary ({shown}); "
                      "they are read as <unk>")
    return model.vocab.encode(tokens)


def add_generate_parser(sub) -> None:
    p = sub.add_parser("generate", help="sample text from a trained language model",
                       description="Print the prime followed by generated tokens (and nothing else) on stdout.",
                       formatter_class=HelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory of `rnnkit train lm`")
    p.add_argument("--prime", default="\n",
                   help="text the model reads before generating (default: a newline, as at the start of a line)")
    p.add_argument("--length", type=positive_int, default=500, help="tokens to generate")
    p.add_argument("--temperature", type=non_negative_float, default=0.8,
                   help="softmax temperature; 0 always takes the most likely token (greedy)")
    p.add_argument("--top-k", type=positive_int, help="sample only among the K most likely tokens")
    p.add_argument("--top-p", type=top_p, metavar="P",
                   help="sample only from the smallest set of most likely tokens with probability >= P, "
                        "0 < P <= 1 (1: no filtering)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    add_device_option(p)
    p.set_defaults(run=run_generate)


def run_generate(args) -> None:
    model = load_for(args.run_dir, "lm", args.device)
    if args.prime == "":
        raise RnnkitError("--prime must not be empty")
    prime = _encode_prime(model, args.prime)
    if not prime:
        prime = [model.vocab.eos_id]   # a word prime of only spaces: start as after a line
    ids = generate(model, prime, args.length, temperature=args.temperature, top_k=args.top_k,
                   top_p=args.top_p, generator=torch.Generator().manual_seed(args.seed), banned=never_written(model))
    text = model.tokenizer.detokenize(model.vocab.decode(ids))
    joiner = " " if model.tokenizer.level == "word" and not args.prime[-1:].isspace() else ""
    out = args.prime + joiner + text
    sys.stdout.write(out if out.endswith("\n") else out + "\n")


def add_complete_parser(sub) -> None:
    p = sub.add_parser("complete", help="the most likely continuations of a prefix (autocomplete)",
                       description="Beam search for the K most likely ways to finish the prefix's last word "
                                   "(character model) or to continue it by up to --max-length words (word model); "
                                   "prints one CONTINUATION<TAB>PROBABILITY line per candidate, most likely first. "
                                   "The continuation is printed without what ends it (the space or punctuation "
                                   "after a word, the end of the line for a word model); candidates that print "
                                   "the same text are one candidate, with their probabilities summed. Special "
                                   "tokens (<pad>, <unk>, <bos>, <eos>) are never proposed.",
                       formatter_class=HelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory of `rnnkit train lm`")
    p.add_argument("prefix", help="the text typed so far")
    p.add_argument("-k", type=positive_int, default=5, help="continuations to show")
    p.add_argument("--max-length", type=positive_int, default=20, help="longest continuation, in tokens")
    add_device_option(p)
    p.set_defaults(run=run_complete)


def never_written(model) -> set[int]:
    """The ids generated text never holds: the special tokens, except a word model's end of line."""
    vocab = model.vocab
    ends = {vocab.eos_id} if model.tokenizer.level == "word" else set()
    return {vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id} - ends


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


def run_complete(args) -> None:
    model = load_for(args.run_dir, "lm", args.device)
    prefix = _encode_prime(model, args.prefix)
    if not prefix:
        raise RnnkitError("the prefix must contain at least one token")
    for text, p in completions(model, prefix, args.k, args.max_length):
        print(f"{text}\t{p:.4f}")


def evaluate(model, args) -> dict:
    """Loss, perplexity and bits per character of ``args.test`` under a language model."""
    text = read_text(args.test)
    tokens = model.tokenizer.tokenize(text)
    unknown = model.vocab.unknown(tokens)
    if unknown:
        warnings.warn(f"{args.test}: {len(unknown)} token type(s) outside the vocabulary are scored as <unk>")
    batches = StreamBatches(torch.tensor(model.vocab.encode(tokens)), 1, EVAL_WINDOW, name=args.test,
                            require_window=False)
    nats, count = model.stream_nats(batches)
    return lm_metrics(nats, count, round(count * model.tokenizer.count_chars(text) / len(tokens)))


def print_metrics(metrics: dict, as_json: bool) -> None:
    print(json.dumps(metrics) if as_json else format_lm_metrics(metrics))
