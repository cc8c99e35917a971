"""The lm task's options."""
from __future__ import annotations

from dataclasses import dataclass

from rnnkit.data import LEVELS
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import like, option, positive_float, positive_int, valid_fraction_option

DEFAULT_BPTT = {"char": 100, "word": 35}


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
