"""The tag task's options."""
from __future__ import annotations

from dataclasses import dataclass

from rnnkit.tasks.config import RecurrentConfig, TrainingConfig, own_epochs
from rnnkit.tasks.options import like, option, positive_int, probability


@dataclass
class TaggerConfig(RecurrentConfig, TrainingConfig):
    train: str = option(None, "training sentences, CoNLL-U (.gz accepted)", required=True, metavar="FILE",
                        group="data")
    valid: str | None = option(None, "validation sentences, CoNLL-U (selects the best model)",
                               flags=("--valid", "--dev"), metavar="FILE", group="data")
    xpos: bool = option(False, "also predict the language-specific XPOS column", group="data")
    cell: str = "lstm"    # the BiLSTM tagger: the cell is not an option
    reset: str = "after"
    layers: int = like(2)
    hidden: int = like(200)
    dropout: float = like(0.33, help="dropout on word representations, between layers and before the output layers")
    embedding: int = option(100, "word embedding size", type=positive_int, group="model")
    char_embedding: int = option(32, "character embedding size", type=positive_int, group="model")
    char_hidden: int = option(64, "character BiLSTM units per direction", type=positive_int, group="model")
    word_dropout: float = option(0.1, "probability of reading a training word as <unk> (its characters stay)",
                                 type=probability, group="model")
    keep_case: bool = option(False, "word embeddings per cased form (default: lowercased)", group="model")
    epochs: int | None = own_epochs(20)
