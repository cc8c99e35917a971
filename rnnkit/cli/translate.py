"""``rnnkit train translate``, ``rnnkit translate``, ``rnnkit attention`` and the translation
side of ``evaluate``."""
from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import torch

from rnnkit.cli.formatting import HelpFormatter
from rnnkit.cli.runs import load_for, report_training, resumed, saved_args
from rnnkit.data import ReversibleWordTokenizer, SentenceBatches, SubwordTokenizer, Vocab, pad_batch, read_parallel
from rnnkit.data.parallel import read_lines
from rnnkit.data.tokenize import JOINER
from rnnkit.decoding import translate
from rnnkit.devices import device_of, resolve_device, to_device
from rnnkit.errors import RnnkitError
from rnnkit.layers.attention import SCORES
from rnnkit.models import Seq2Seq
from rnnkit.training import (RunDir, TeacherForcing, Trainer, format_translation_metrics, perplexity, plot_attention,
                             translation_metrics)
from rnnkit.files import write_atomic
from rnnkit.cli.options import (add_device_option, add_recurrent_options, add_training_options, output_file,
                                     positive_int, probability, recurrent_options, train_options)
from rnnkit.training.teacher_forcing import KINDS as FORCING_KINDS

TOKENIZERS = ("subword", "word")


def add_train_parser(sub) -> None:
    p = sub.add_parser("translate", help="train an encoder-decoder translation model on parallel text",
                       description="Train a sequence-to-sequence model with attention: an encoder reads the source "
                                   "sentence, a decoder writes the target from [START] to [END]. Input: two "
                                   "line-aligned plain-text files, one sentence per line (raw, cased text; .gz "
                                   "accepted). The run directory keeps the best model on validation BLEU (greedy "
                                   "decoding), one vocabulary per side and the subword models.",
                       formatter_class=HelpFormatter)
    d = p.add_argument_group("data")
    d.add_argument("--src", required=True, metavar="FILE", help="training sources, one sentence per line")
    d.add_argument("--tgt", required=True, metavar="FILE", help="training targets, line-aligned with --src")
    d.add_argument("--valid-src", "--dev-src", metavar="FILE", help="validation sources")
    d.add_argument("--valid-tgt", "--dev-tgt", metavar="FILE", help="validation targets, line-aligned")
    d.add_argument("--valid-fraction", type=probability, default=0.05, metavar="F",
                   help="without --valid-src/--valid-tgt: hold out this random fraction of the training pairs")
    d.add_argument("--tokenizer", choices=TOKENIZERS, default="subword",
                   help="subword: a SentencePiece unigram model per side, trained on the training text; "
                        "word: words and punctuation, case kept")
    d.add_argument("--vocab-size", type=positive_int, default=8000, help="subword pieces per side")
    d.add_argument("--min-freq", type=positive_int, default=2,
                   help="word tokenizer: keep words seen at least this often (others become <unk>)")
    d.add_argument("--max-length", type=positive_int, default=100,
                   help="tokens per sentence; longer sentences are truncated (with one warning)")
    m = p.add_argument_group("model")
    add_recurrent_options(m, layers=1, hidden=512, dropout=0.3,
                          dropout_help="dropout on embeddings, between layers and before the output layer",
                          hidden_help="decoder units per layer; a bidirectional encoder has half per direction")
    m.add_argument("--embedding", type=positive_int, default=256, help="word embedding size (each side)")
    m.add_argument("--unidirectional", action="store_true", help="encoder reads left to right only")
    m.add_argument("--tie-embeddings", action="store_true",
                   help="the output layer reuses the target embedding, through a projection to its size "
                        "(Press & Wolf 2017): fewer parameters, a cheaper output layer")
    m.add_argument("--attention", choices=(*SCORES, "none"), default="general",
                   help="attention score: dot (s.h), general (s W h), additive (Bahdanau), or none: the decoder "
                        "sees the source only through its initial state")
    f = p.add_argument_group("teacher forcing (scheduled sampling, Bengio et al. 2015)")
    f.add_argument("--teacher-forcing", type=float, default=1.0, metavar="RATIO",
                   help="constant schedule: probability of feeding the gold previous token instead of the "
                        "model's own prediction")
    f.add_argument("--tf-schedule", choices=FORCING_KINDS, default="constant",
                   help="linear: 1 - step/--tf-steps down to --tf-min; inverse_sigmoid: k/(k + exp(step/k))")
    f.add_argument("--tf-steps", type=positive_int, default=10_000, help="linear: steps to reach --tf-min")
    f.add_argument("--tf-min", type=float, default=0.0, help="linear: the lowest ratio")
    f.add_argument("--tf-k", type=float, default=1000.0, help="inverse_sigmoid: k (larger: slower decay)")
    add_training_options(p, lr=2e-3, batch_size=64, epochs=15)
    p.add_argument("--select", choices=("bleu", "loss"), default="bleu",
                   help="validation metric that picks the best weights (BLEU: greedy decoding, cased)")
    p.set_defaults(run=train)


def _teacher_forcing(args) -> TeacherForcing:
    try:
        return TeacherForcing(args.tf_schedule, args.teacher_forcing, args.tf_steps, args.tf_min, args.tf_k)
    except ValueError as e:
        raise RnnkitError(f"teacher forcing: {e}") from None


def _pairs(args):
    """(training pairs, validation pairs, name of the validation data)."""
    pairs = read_parallel(args.src, args.tgt)
    if bool(args.valid_src) != bool(args.valid_tgt):
        raise RnnkitError("give both --valid-src and --valid-tgt, or neither (a part of the training pairs is "
                          "then held out)")
    if args.valid_src:
        return pairs, read_parallel(args.valid_src, args.valid_tgt), args.valid_src
    order = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(args.seed)).tolist()
    held = set(order[: round(len(order) * args.valid_fraction)])
    return ([p for i, p in enumerate(pairs) if i not in held], [p for i, p in enumerate(pairs) if i in held],
            f"{args.src} ({len(held)} held-out pairs)")


def _tokenizers(args, run: RunDir | None, pairs):
    """The source and target tokenizers: trained (subword) on the training text of a new run,
    or the run's own."""
    if args.tokenizer == "word":
        return ReversibleWordTokenizer(), ReversibleWordTokenizer()
    if run is not None and run.subword_model("src").is_file():
        return SubwordTokenizer.load(run.subword_model("src")), SubwordTokenizer.load(run.subword_model("tgt"))
    print(f"training SentencePiece models ({args.vocab_size:,} pieces per side)", file=sys.stderr)
    return tuple(SubwordTokenizer.train((p[side] for p in pairs), args.vocab_size) for side in (0, 1))


def encode(pairs, tokenizers, vocabs, max_length: int, name: str) -> list[tuple[list[int], list[int]]]:
    """Token ids of each (source, target) pair, truncated to ``max_length`` with one warning."""
    encoded, long = [], 0
    for pair in pairs:
        ids = []
        for text, tokenizer, vocab in zip(pair, tokenizers, vocabs):
            tokens = tokenizer.tokenize(text)
            long += len(tokens) > max_length
            ids.append(vocab.encode(tokens[:max_length]))
        encoded.append(tuple(ids))
    if long:
        warnings.warn(f"{name}: {long} sentence(s) longer than {max_length} tokens were truncated "
                      "(raise --max-length to keep them whole)")
    return encoded


def collate(pairs):
    """``(src [S, B], src_lengths [B], tgt_in [T, B] = <bos> y, tgt_out [T, B] = y <eos>)``, padded with 0."""
    src, lengths = pad_batch([s for s, _ in pairs], Vocab.pad_id)
    tgt_in, _ = pad_batch([[Vocab.bos_id, *t] for _, t in pairs], Vocab.pad_id)
    tgt_out, _ = pad_batch([[*t, Vocab.eos_id] for _, t in pairs], Vocab.pad_id)
    return src, lengths, tgt_in, tgt_out


@torch.no_grad()
def teacher_forced_loss(model: Seq2Seq, examples, batch_size: int = 128) -> dict:
    nats, count = 0.0, 0
    for batch in SentenceBatches(examples, [len(s) for s, _ in examples], batch_size, collate, shuffle=False).epoch():
        n, c = model.loss(*to_device(batch, device_of(model)))
        nats, count = nats + float(n), count + c
    return {"loss": nats / max(count, 1), "perplexity": perplexity(nats / max(count, 1))}


def train(args) -> None:
    run = None
    if args.resume:
        run, config, args = resumed(args, "translate")
    forcing = _teacher_forcing(args)
    options = recurrent_options(args)
    if not args.unidirectional and options["hidden_size"] % 2:
        raise RnnkitError(f"--hidden must be even for a bidirectional encoder (half per direction), got {args.hidden}")
    train_pairs, valid_pairs, valid_name = _pairs(args)
    tokenizers = _tokenizers(args, run, train_pairs)
    if run is None:
        min_freq = args.min_freq if args.tokenizer == "word" else 1
        vocabs = tuple(Vocab.build((t for p in train_pairs for t in tok.tokenize(p[side])), min_freq=min_freq)
                       for side, tok in enumerate(tokenizers))
    else:
        vocabs = Vocab.load(run.side_vocab("src")), Vocab.load(run.side_vocab("tgt"))
    train_examples = encode(train_pairs, tokenizers, vocabs, args.max_length, args.src)
    valid_examples = encode(valid_pairs, tokenizers, vocabs, args.max_length, valid_name)

    torch.manual_seed(args.seed)
    model = Seq2Seq(len(vocabs[0]), len(vocabs[1]), embedding_dim=args.embedding, bidirectional=not args.unidirectional,
                    attention=None if args.attention == "none" else args.attention,
                    tie_embeddings=args.tie_embeddings, **options)
    model.src_tokenizer, model.tgt_tokenizer = tokenizers
    model.src_vocab, model.tgt_vocab = vocabs
    model.max_length = args.max_length
    if run is None:
        run = RunDir.create(args.out, resume=False)
        for side, vocab, tokenizer in zip(("src", "tgt"), vocabs, tokenizers):
            vocab.save(run.side_vocab(side))
            if args.tokenizer == "subword":
                tokenizer.save(run.subword_model(side))
        run.write_config({"task": "translate", "model": model.config,
                          "data": {"tokenizer": args.tokenizer, "max_length": args.max_length},
                          "args": saved_args(args)})
    # batches of equal target length (the decoder's steps) and similar source length: sorting
    # by source length alone pads the targets by 40% on Multi30k, by (target, source) by 0-7%
    batches = SentenceBatches(train_examples, [(len(t), len(s)) for s, t in train_examples], args.batch_size,
                              collate, seed=args.seed)
    print(f"{args.cell.upper()} encoder-decoder, attention {args.attention}: "
          f"{sum(p.numel() for p in model.parameters()):,} parameters, vocabularies {len(vocabs[0]):,} (source) and "
          f"{len(vocabs[1]):,} (target) {args.tokenizer} tokens, {len(train_examples):,} training and "
          f"{len(valid_examples):,} validation pairs", file=sys.stderr)
    sources, references = [s for s, _ in valid_pairs], [t for _, t in valid_pairs]

    def evaluate():
        hypotheses = [t.text for t in translate(model, sources, beam_size=1, batch_size=128)]
        return {**teacher_forced_loss(model, valid_examples), **translation_metrics(hypotheses, references)}

    model.to(resolve_device(args.device))
    trainer = Trainer(model, run, train_options(args), batches=batches.epoch,
                      step=lambda m, batch, carry: (*m.loss(*batch, teacher_forcing=forcing.at(trainer.state["step"])),
                                                    None),
                      evaluate=evaluate if valid_examples else None, resume=args.resume, show_perplexity=True,
                      select=args.select, maximize=args.select == "bleu")
    summary = trainer.fit()
    result = "no validation data"
    if valid_examples:
        result = f"best validation {args.select} {summary['best_valid']:.2f}"
    report_training(summary, run, result)


def _input_lines(path: str) -> list[str]:
    if path == "-":
        lines = sys.stdin.read().split("\n")
        return lines[:-1] if lines[-1:] == [""] else lines
    return read_lines(path)


def add_translate_parser(sub) -> None:
    p = sub.add_parser("translate", help="translate text with a trained model",
                       description="Translate one sentence per input line and print one line per input line "
                                   "(an empty line gives an empty line). Output is detokenised, cased text.",
                       formatter_class=HelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory of `rnnkit train translate`")
    p.add_argument("input", nargs="?", default="-", metavar="FILE", help="input file, or - for standard input")
    _add_decoding_options(p)
    add_device_option(p)
    p.set_defaults(run=run_translate)


def _add_decoding_options(p) -> None:
    p.add_argument("--beam", type=positive_int, default=5, help="beam size (1: greedy decoding)")
    p.add_argument("--alpha", type=float, default=0.6,
                   help="length normalisation: scores are divided by ((5 + length) / 6) ** alpha (Wu et al. 2016)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="sentences decoded together")


def run_translate(args) -> None:
    model = load_for(args.run_dir, "translate", args.device)
    lines = _input_lines(args.input)
    results = translate(model, lines, beam_size=args.beam, alpha=args.alpha, batch_size=args.batch_size)
    sys.stdout.write("".join(r.text + "\n" for r in results))


def add_attention_parser(sub) -> None:
    p = sub.add_parser("attention", help="plot where a translation model looks, as a heatmap",
                       description="Translate each SENTENCE, print the translation, and draw its attention "
                                   "weights (one row per output token, one column per source token) as PNG.",
                       formatter_class=HelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory of `rnnkit train translate`")
    p.add_argument("sentences", nargs="+", metavar="SENTENCE", help="source sentence(s)")
    p.add_argument("--output", default="attention.png", type=output_file, metavar="FILE",
                   help="PNG file; with several sentences, FILE-1.png, FILE-2.png, ...")
    _add_decoding_options(p)
    add_device_option(p)
    p.set_defaults(run=run_attention)


def run_attention(args) -> None:
    model = load_for(args.run_dir, "translate", args.device)
    if model.attention is None:
        raise RnnkitError(f"{args.run_dir}: the model was trained with --attention none; it has no attention to plot")
    if not all(s.strip() for s in args.sentences):
        raise RnnkitError("a SENTENCE is empty; give the source text to translate")
    output = Path(args.output)
    results = translate(model, args.sentences, beam_size=args.beam, alpha=args.alpha, batch_size=args.batch_size)
    for k, result in enumerate(results, 1):
        path = output if len(results) == 1 else output.with_name(f"{output.stem}-{k}{output.suffix or '.png'}")
        source, tokens = ([t.replace(JOINER, "") for t in ts] for ts in (result.source, result.tokens))
        plot_attention(result.attention, source, tokens, path, result.text)   # plot fonts lack the joiner
        print(result.text)
        print(f"attention heatmap: {path}", file=sys.stderr)


def evaluate(model, args) -> dict:
    """BLEU (cased and lowercased) and chrF of the translations of ``--src`` against ``--ref``,
    with the decoding speed."""
    if not (args.src and args.ref):
        raise RnnkitError("evaluating a translation model needs --src FILE and --ref FILE")
    pairs = read_parallel(args.src, args.ref)
    start = time.perf_counter()
    results = translate(model, [s for s, _ in pairs], beam_size=args.beam, batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    if args.output:
        write_atomic(Path(args.output), "".join(r.text + "\n" for r in results))
    metrics = translation_metrics([r.text for r in results], [t for _, t in pairs])
    return {**metrics, "sentences": len(pairs), "beam": args.beam, "seconds": seconds,
            "sentences_per_s": len(pairs) / seconds}


def print_metrics(metrics: dict, as_json: bool) -> None:
    print(json.dumps(metrics) if as_json else format_translation_metrics(metrics))
