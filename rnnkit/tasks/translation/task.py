"""Translation (encoder-decoder with [START]/[END], teacher forcing and attention): parallel text
in, a model that turns source sentences into target sentences out."""
from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path

import torch

from rnnkit.data import (ReversibleWordTokenizer, SentenceBatches, SubwordTokenizer, Vocab, hold_out, pad_batch,
                         read_parallel)
from rnnkit.devices import device_of, to_device
from rnnkit.errors import RnnkitError
from rnnkit.files import write_atomic
from rnnkit.models import Seq2Seq
from rnnkit.tasks.base import Prepared, Task, load_weights, parameters, write_export
from rnnkit.tasks.options import Option, output_file
from rnnkit.tasks.translation import python
from rnnkit.tasks.translation.config import DECODING, TranslationConfig
from rnnkit.tasks.translation.decode import translate
from rnnkit.tasks.translation.metrics import format_translation_metrics, translation_metrics
from rnnkit.tasks.translation.verbs import VERBS
from rnnkit.training import TeacherForcing, perplexity

log = logging.getLogger(__name__)


class TranslationTask(Task):
    name, noun = "translate", "translation model"
    help = "train an encoder-decoder translation model on parallel text"
    description = ("Train a sequence-to-sequence model with attention: an encoder reads the source sentence, a "
                   "decoder writes the target from [START] to [END]. Input: two line-aligned plain-text files, one "
                   "sentence per line (raw, cased text; .gz accepted). The run directory keeps the best model on "
                   "validation BLEU (greedy decoding), one vocabulary per side and the subword models.")
    Config, model_class = TranslationConfig, python.TrainedTranslator
    verbs = VERBS
    data_files = staticmethod(python.data_files)
    test_options = {"valid_src": "src", "valid_tgt": "ref"}
    exports = "a translation model gives encoder.onnx and decoder_step.onnx"
    evaluate_options = (
        Option("source sentences, one per line", flags=("--src",), dest="src", metavar="FILE", required=True),
        Option("reference translations, line-aligned with --src", flags=("--ref",), dest="ref", metavar="FILE",
               required=True),
        DECODING[0], DECODING[2],
        Option("also write the translations here, one per line", flags=("--output",), dest="output", type=output_file,
               metavar="FILE"))
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
        from rnnkit.models.onnx import STATE_NAMES, decoder_interface, decoder_step
        from rnnkit.tasks.translation.export import translation_encoder

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
