"""The translate task's options, and the decoding options its commands share."""
from __future__ import annotations

from dataclasses import dataclass

from rnnkit.layers.attention import SCORES
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig, own_epochs
from rnnkit.tasks.options import Option, like, option, positive_int, probability
from rnnkit.training.teacher_forcing import KINDS as FORCING_KINDS

TOKENIZERS = ("subword", "word")
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


DECODING = (
    Option("beam size (1: greedy decoding)", flags=("--beam",), dest="beam", type=positive_int, default=5),
    Option("length normalisation: scores are divided by ((5 + length) / 6) ** alpha (Wu et al. 2016)",
           flags=("--alpha",), dest="alpha", type=float, default=0.6),
    Option("sentences decoded together", flags=("--batch-size",), dest="batch_size", type=positive_int, default=64))
