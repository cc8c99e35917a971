"""Translation (encoder-decoder with attention): read a source sentence, write its translation."""
from __future__ import annotations

import logging
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.data import (ReversibleWordTokenizer, SentenceBatches, SubwordTokenizer, Vocab, hold_out, pad_batch,
                         read_parallel)
from rnnkit.data.parallel import read_lines
from rnnkit.data.tokenize import JOINER
from rnnkit.decoding import translate
from rnnkit.devices import device_of, to_device
from rnnkit.errors import RnnkitError
from rnnkit.files import write_atomic
from rnnkit.layers.attention import SCORES
from rnnkit.models import Seq2Seq
from rnnkit.tasks.base import Output, Prepared, Task, Verb, load, load_weights, parameters, write_export
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig, own_epochs
from rnnkit.tasks.options import DEVICE, Option, like, option, output_file, positive_int, probability, run_dir_argument
from rnnkit.training import (TeacherForcing, format_translation_metrics, perplexity, plot_attention,
                             translation_metrics)
from rnnkit.training.teacher_forcing import KINDS as FORCING_KINDS

TOKENIZERS = ("subword", "word")
log = logging.getLogger(__name__)
FORCING = "teacher forcing (scheduled sampling, Bengio et al. 2015)"


@dataclass
class TranslationConfig(RecurrentConfig, TrainingConfig):
    src: str = option(None, "training sources, one sentence per line", required=True, metavar="FILE", group="data")
    tgt: str = option(None, "training targets, line-aligned with --src", required=True, metavar="FILE", group="data")
    valid_src: str | None = option(None, "validation sources", flags=("--valid-src", "--dev-src"), metavar="FILE",
                                   group="data")
    valid_tgt: str | None = option(None, "validation targets, line-aligned", flags=("--valid-tgt", "--dev-tgt"),
                                   metavar="FILE", group="data")
    valid_fraction: float = option(0.05, "without --valid-src/--valid-tgt: hold out this random fraction of the "
                                         "training pairs", type=probability, metavar="F", group="data")
    tokenizer: str = option("subword", "subword: a SentencePiece unigram model per side, trained on the training "
                                       "text; word: words and punctuation, case kept", choices=TOKENIZERS,
                            group="data")
    vocab_size: int = option(8000, "subword pieces per side", type=positive_int, group="data")
    min_freq: int = option(2, "word tokenizer: keep words seen at least this often (others become <unk>)",
                           type=positive_int, group="data")
    max_length: int = option(100, "tokens per sentence; longer sentences are truncated (with one warning)",
                             type=positive_int, group="data")
    hidden: int = like(512, help="decoder units per layer; a bidirectional encoder has half per direction")
    dropout: float = like(0.3)
    embedding: int = option(256, "word embedding size (each side)", type=positive_int, group="model")
    unidirectional: bool = option(False, "encoder reads left to right only", group="model")
    tie_embeddings: bool = option(False, "the output layer reuses the target embedding, through a projection to its "
                                         "size (Press & Wolf 2017): fewer parameters, a cheaper output layer",
                                  group="model")
    attention: str = option("general", "attention score: dot (s.h), general (s W h), additive (Bahdanau), or none: "
                                       "the decoder sees the source only through its initial state",
                            choices=(*SCORES, "none"), group="model")
    teacher_forcing: float = option(1.0, "constant schedule: probability of feeding the gold previous token instead "
                                         "of the model's own prediction", type=float, metavar="RATIO", group=FORCING)
    tf_schedule: str = option("constant", "linear: 1 - step/--tf-steps down to --tf-min; inverse_sigmoid: "
                                          "k/(k + exp(step/k))", choices=FORCING_KINDS, group=FORCING)
    tf_steps: int = option(10_000, "linear: steps to reach --tf-min", type=positive_int, group=FORCING)
    tf_min: float = option(0.0, "linear: the lowest ratio", type=float, group=FORCING)
    tf_k: float = option(1000.0, "inverse_sigmoid: k (larger: slower decay)", type=float, group=FORCING)
    batch_size: int = like(64)
    epochs: int | None = own_epochs(15)
    select: str = option("bleu", "validation metric that picks the best weights (BLEU: greedy decoding, cased)",
                         choices=("bleu", "loss"), group="training")


class TranslationTask(Task):
    name, noun = "translate", "translation model"
    help = "train an encoder-decoder translation model on parallel text"
    description = ("Train a sequence-to-sequence model with attention: an encoder reads the source sentence, a "
                   "decoder writes the target from [START] to [END]. Input: two line-aligned plain-text files, one "
                   "sentence per line (raw, cased text; .gz accepted). The run directory keeps the best model on "
                   "validation BLEU (greedy decoding), one vocabulary per side and the subword models.")
    Config, model_class = TranslationConfig, Seq2Seq
    files = ("vocab.src.json", "vocab.tgt.json", "subword.src.model", "subword.tgt.model")
    show_perplexity = True
    evaluate_help = ("a translation model gives BLEU (cased and lowercased) and chrF with sacrebleu, and its speed "
                     "(--src and --ref: line-aligned plain text)")

    def __init__(self, config):
        super().__init__(config)
        self.select, self.maximize = config.select, config.select == "bleu"
        try:
            self.forcing = TeacherForcing(config.tf_schedule, config.teacher_forcing, config.tf_steps, config.tf_min,
                                          config.tf_k)
        except ValueError as e:
            raise RnnkitError(f"teacher forcing: {e}") from None

    def prepare(self, run) -> Prepared:
        c = self.config
        options = c.recurrent_options()
        if not c.unidirectional and options["hidden_size"] % 2:
            raise RnnkitError(f"--hidden must be even for a bidirectional encoder (half per direction), got {c.hidden}")
        train_pairs, valid_pairs, valid_name = self._pairs()
        tokenizers = self._tokenizers(run, train_pairs)
        if run is None:
            min_freq = c.min_freq if c.tokenizer == "word" else 1
            vocabs = tuple(Vocab.build((t for p in train_pairs for t in tok.tokenize(p[side])), min_freq=min_freq)
                           for side, tok in enumerate(tokenizers))
        else:
            vocabs = tuple(Vocab.load(run.path / f"vocab.{side}.json") for side in ("src", "tgt"))
        train_examples = encode(train_pairs, tokenizers, vocabs, c.max_length, c.src)
        valid_examples = encode(valid_pairs, tokenizers, vocabs, c.max_length, valid_name)
        model = Seq2Seq(len(vocabs[0]), len(vocabs[1]), embedding_dim=c.embedding, bidirectional=not c.unidirectional,
                        attention=None if c.attention == "none" else c.attention, tie_embeddings=c.tie_embeddings,
                        src_vocab=vocabs[0], tgt_vocab=vocabs[1], src_tokenizer=tokenizers[0],
                        tgt_tokenizer=tokenizers[1], max_length=c.max_length, **options)
        # batches of equal target length (the decoder's steps) and similar source length: sorting
        # by source length alone pads the targets by 40% on Multi30k, by (target, source) by 0-7%
        batches = SentenceBatches(train_examples, [(len(t), len(s)) for s, t in train_examples], c.batch_size,
                                  collate, seed=c.seed)
        description = (f"{c.cell.upper()} encoder-decoder, attention {c.attention}: "
                       f"{parameters(model)}, vocabularies {len(vocabs[0]):,} "
                       f"(source) and {len(vocabs[1]):,} (target) {c.tokenizer} tokens, {len(train_examples):,} "
                       f"training and {len(valid_examples):,} validation pairs")
        valid = (valid_examples, valid_pairs) if valid_examples else None
        return Prepared(model, batches.epoch, valid, {"tokenizer": c.tokenizer, "max_length": c.max_length},
                        description)

    def _pairs(self):
        """(training pairs, validation pairs, name of the validation data)."""
        c = self.config
        pairs = read_parallel(c.src, c.tgt)
        if bool(c.valid_src) != bool(c.valid_tgt):
            raise RnnkitError("give both --valid-src and --valid-tgt, or neither (a part of the training pairs is "
                              "then held out)")
        if c.valid_src:
            return pairs, read_parallel(c.valid_src, c.valid_tgt), c.valid_src
        kept, held = hold_out(pairs, c.valid_fraction, c.seed)
        return kept, held, f"{c.src} ({len(held)} held-out pairs)"

    def _tokenizers(self, run, pairs):
        """The source and target tokenizers: trained (subword) on the training text of a new run,
        or the run's own."""
        c = self.config
        if c.tokenizer == "word":
            return ReversibleWordTokenizer(), ReversibleWordTokenizer()
        if run is not None and (run.path / "subword.src.model").is_file():
            return tuple(SubwordTokenizer.load(run.path / f"subword.{side}.model") for side in ("src", "tgt"))
        log.info(f"training SentencePiece models ({c.vocab_size:,} pieces per side)")
        return tuple(SubwordTokenizer.train((p[side] for p in pairs), c.vocab_size) for side in (0, 1))

    def loss(self, model, batch, carry, step):
        return (*model.loss(*batch, teacher_forcing=self.forcing.at(step)), None)

    def validate(self, model, valid) -> dict:
        examples, pairs = valid
        hypotheses = [t.text for t in translate(model, [s for s, _ in pairs], beam_size=1, batch_size=128)]
        return {**teacher_forced_loss(model, examples), **translation_metrics(hypotheses, [t for _, t in pairs])}

    def result(self, run, prepared, summary):
        if prepared.valid is None:
            return "no validation data", []
        return f"best validation {self.select} {summary['best_valid']:.2f}", []

    def save(self, run, prepared) -> None:
        model = prepared.model
        for side in ("src", "tgt"):
            getattr(model, f"{side}_vocab").save(run.path / f"vocab.{side}.json")
            if self.config.tokenizer == "subword":
                getattr(model, f"{side}_tokenizer").save(run.path / f"subword.{side}.model")

    @classmethod
    def load(cls, run, config, device):
        data = config["data"]
        sides = {}
        for side in ("src", "tgt"):
            sides[f"{side}_vocab"] = Vocab.load(run.path / f"vocab.{side}.json")
            sides[f"{side}_tokenizer"] = saved_tokenizer(data["tokenizer"], run, side)
        return load_weights(cls, run, config, device, max_length=data["max_length"], **sides)

    @classmethod
    def export(cls, model, folder):
        """``encoder.onnx`` (a padded batch of source ids and lengths -> the memory, its attention keys
        and mask, the decoder's first state) and ``decoder_step.onnx`` (one target token per
        sentence -> its logits and the next state): greedy or beam search run outside Python as
        ``rnnkit translate`` does, from ``<bos>`` to ``<eos>``."""
        from rnnkit.models.onnx import STATE_NAMES, decoder_interface, decoder_step, translation_encoder

        data = model.run_config["data"]
        states = list(STATE_NAMES[: model.decoder.cell.num_states])
        return write_export(folder, {"encoder.onnx": translation_encoder(model),
                                     "decoder_step.onnx": decoder_step(model)}, {
            "task": cls.name, "tokenizer": data["tokenizer"], "max_length": model.max_length,
            "source_vocabulary": model.src_vocab.tokens, "target_vocabulary": model.tgt_vocab.tokens,
            "specials": {"pad": Vocab.pad_id, "unknown": Vocab.unk_id, "bos": Vocab.bos_id,
                         "eos": Vocab.eos_id},
            "encoder": {"inputs": ["src", "lengths"],
                        "outputs": ["memory", *(["keys"] if model.attention is not None else []), "mask", *states]},
            "decoder_step": decoder_interface(model)})

    @classmethod
    def evaluate(cls, model, args):
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
                "sentences_per_s": len(pairs) / seconds}, []

    format_metrics = staticmethod(format_translation_metrics)


def saved_tokenizer(kind: str, run, side: str):
    """The saved tokenizer of one side of a translation run: "subword" or "word"."""
    if kind == "subword":
        return SubwordTokenizer.load(run.path / f"subword.{side}.model")
    if kind == "word":
        return ReversibleWordTokenizer()
    raise RnnkitError(f"{run.config}: unknown tokenizer {kind!r}")


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


def _input_lines(path: str) -> list[str]:
    if path == "-":
        lines = sys.stdin.read().split("\n")
        return lines[:-1] if lines[-1:] == [""] else lines
    return read_lines(path)


def _translate(args) -> Output:
    model = load(args.run_dir, args.device, task="translate")
    results = translate(model, _input_lines(args.input), beam_size=args.beam, alpha=args.alpha,
                        batch_size=args.batch_size)
    return Output("".join(r.text + "\n" for r in results))


def _attention(args) -> Output:
    model = load(args.run_dir, args.device, task="translate")
    if model.attention is None:
        raise RnnkitError(f"{args.run_dir}: the model was trained with --attention none; it has no attention to plot")
    if not all(s.strip() for s in args.sentences):
        raise RnnkitError("a SENTENCE is empty; give the source text to translate")
    output = Path(args.output)
    results = translate(model, args.sentences, beam_size=args.beam, alpha=args.alpha, batch_size=args.batch_size)
    out = Output()
    for k, result in enumerate(results, 1):
        path = output if len(results) == 1 else output.with_name(f"{output.stem}-{k}{output.suffix or '.png'}")
        source, tokens = ([t.replace(JOINER, "") for t in ts] for ts in (result.source, result.tokens))
        plot_attention(result.attention, source, tokens, path, result.text)   # plot fonts lack the joiner
        out.text += result.text + "\n"
        out.notes.append(f"attention heatmap: {path}")
    return out


DECODING = (
    Option("beam size (1: greedy decoding)", flags=("--beam",), dest="beam", type=positive_int, default=5),
    Option("length normalisation: scores are divided by ((5 + length) / 6) ** alpha (Wu et al. 2016)",
           flags=("--alpha",), dest="alpha", type=float, default=0.6),
    Option("sentences decoded together", flags=("--batch-size",), dest="batch_size", type=positive_int, default=64))

TranslationTask.evaluate_options = (
    Option("source sentences, one per line", flags=("--src",), dest="src", metavar="FILE", required=True),
    Option("reference translations, line-aligned with --src", flags=("--ref",), dest="ref", metavar="FILE",
           required=True),
    DECODING[0], DECODING[2],
    Option("also write the translations here, one per line", flags=("--output",), dest="output", type=output_file,
           metavar="FILE"))

TranslationTask.verbs = (
    Verb("translate", "translate text with a trained model",
         "Translate one sentence per input line and print one line per input line (an empty line gives an empty "
         "line). Output is detokenised, cased text.",
         (run_dir_argument("translate"),
          Option("input file, or - for standard input", flags=("input",), dest="input", nargs="?", default="-",
                 metavar="FILE"),
          *DECODING, DEVICE),
         _translate),
    Verb("attention", "plot where a translation model looks, as a heatmap",
         "Translate each SENTENCE, print the translation, and draw its attention weights (one row per output token, "
         "one column per source token) as PNG.",
         (run_dir_argument("translate"),
          Option("source sentence(s)", flags=("sentences",), dest="sentences", nargs="+", metavar="SENTENCE"),
          Option("PNG file; with several sentences, FILE-1.png, FILE-2.png, ...", flags=("--output",), dest="output",
                 default="attention.png", type=output_file, metavar="FILE"),
          *DECODING, DEVICE),
         _attention))
