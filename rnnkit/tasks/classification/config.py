"""The classify task's options and what its three readers (text, recordings, clips) share: the
options each kind of input alone takes, how the options left open are settled from the data, the
order of the labels."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rnnkit.data.images import MOST_PIXELS
from rnnkit.data.recordings import FORMATS
from rnnkit.layers import POOLINGS
from rnnkit.models.classifier import NORMALIZE
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import channel_list, image_size, like, option, positive_int, valid_fraction_option

TEXT_ONLY = ("text_column", "label_column", "keep_case", "min_freq", "max_vocab", "embedding")
RECORDINGS_ONLY = ("deltas", "frame", "normalize")
CLIPS_ONLY = ("clips", "labels", "valid_labels", "image_size", "cnn_channels")
FRAME_STEPS = 250       # the default frame keeps the typical recording's run of the recurrent layers within this


@dataclass
class ClassifierConfig(RecurrentConfig, TrainingConfig):
    train: str | None = option(None, "training examples, TSV (.gz accepted); or recordings: a UEA/UCR .ts file, "
                                     "a UCR text file (the label, then the values: Coffee_TRAIN.txt, the 2018 "
                                     "archive's .tsv) or a long-form .csv (case,step,channels...,label); required "
                                     "unless --clips", metavar="FILE", group="data")
    format: str = option("auto", "what --train and --valid hold: tsv (text), ts (UEA/UCR), ucr (UCR's text "
                                 "format), csv (long-form recordings); auto: .ts by its name, a case,step header "
                                 "as csv, every field a number with few distinct first fields as ucr, else text",
                         choices=FORMATS, group="data")
    valid: str | None = option(None, "validation examples, same layout", flags=("--valid", "--dev"), metavar="FILE",
                               group="data", exclusive="valid")
    valid_fraction: float | None = valid_fraction_option(
        "hold out a random fraction F of --train for validation", "--valid",
        "0.1 for text and clips, a fifth of each class for recordings,")
    clips: str | None = option(None, "clips instead of --train: a folder of clips (each a folder of frame images "
                                     "or a .npy array [frames, height, width(, channels)])", metavar="DIR",
                               group="clips")
    labels: str | None = option(None, "with --clips: CLIP<TAB>LABEL per line (CLIP as under DIR), an optional "
                                      "header", metavar="FILE", group="clips")
    valid_labels: str | None = option(None, "with --clips: validation clips, same layout (clips under DIR)",
                                      metavar="FILE", group="clips", exclusive="valid")
    image_size: str | None = option(None, "with --clips: frames are letterboxed to N x N or WIDTHxHEIGHT pixels "
                                          "(default: the clips' own size, never scaled up, scaled down to at most "
                                          f"{MOST_PIXELS:,} pixels)", type=image_size, metavar="SIZE", group="clips")
    cnn_channels: str | None = option(None, "with --clips: channels of each block of the frame CNN (each block "
                                            "halves the frame; default: 16,32,64)", type=channel_list,
                                      metavar="C,C,...", group="clips")
    text_column: str | None = option(None, "text column: a header name or 0-based index (default: 0)", metavar="C",
                                     group="data")
    label_column: str | None = option(None, "label column: a header name or 0-based index (default: last)",
                                      metavar="C", group="data")
    keep_case: bool = option(False, "do not lowercase the text", group="data")
    min_freq: int = option(1, "keep words seen at least this often", type=positive_int, group="data")
    max_vocab: int | None = option(None, "keep at most this many words (most frequent)", type=positive_int,
                                   group="data")
    cell: str | None = like(None, help="recurrent cell: lstm, gru or rnn (with --layer-norm or --reset), or any "
                                       "registered form by name (default: lstm for text, gru for recordings and "
                                       "clips)")
    hidden: int | None = like(None, help="units per layer and direction (default: 256 for text, 128 for clips, "
                                         "64 for recordings)")
    dropout: float | None = like(None, help="dropout on embeddings, between layers and before the classifier "
                                            "(default: 0.5 for text, 0.2 for recordings and clips)")
    embedding: int = option(300, "word embedding size", type=positive_int, group="model")
    unidirectional: bool = option(False, "read left to right only", group="model")
    pooling: str | None = option(None, "how the states become one vector: final states, mean, max, or learned "
                                       "attention (default: attention for text, mean for recordings and clips)",
                                 choices=POOLINGS, group="model")
    deltas: bool | None = option(None, "recordings: add each channel's step differences as channels of their own "
                                       "(the shape of a curve as well as its level); clips: the CNN reads each "
                                       "frame with its difference from the frame before (what moved) (default: on "
                                       "for clips, off for recordings)", flag=True, group="model")
    frame: int | None = option(None, "recordings: read K consecutive steps as one vector, so that the network runs "
                                     "T/K steps (default: from the median length, at most "
                                     f"{FRAME_STEPS} steps a run on a typical recording)", type=positive_int,
                               metavar="K", group="model")
    normalize: str | None = option(None, "recordings: training standardises each channel with the training set's "
                                         "mean and deviation; case first with each recording's own, which then join "
                                         "as channels of their own (shape, level and scale apart; the default)",
                                   choices=NORMALIZE, group="model")
    batch_size: int | None = like(None, help="examples per batch (default: 64 for text; recordings and clips: about an "
                                             "eighth of the training set, 4 to 32 and 4 to 16)")
    epochs: int | None = like(None, help="passes over the training data (default: 8 for text; recordings and clips: "
                                         "from their count, and the run stops when validation stops improving)")


def settled(config: ClassifierConfig, defaults: dict) -> ClassifierConfig:
    """``config`` with the options the user left open (None) set from ``defaults``."""
    return dataclasses.replace(config, **{k: v for k, v in defaults.items() if getattr(config, k) is None})


def label_set(values: list[str]) -> list[str]:
    """The label set in a stable order: numerically where every label is a number."""
    distinct = set(values)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def options_given(config, names) -> str:
    """The options of ``names`` that ``config`` sets to other than their defaults, as flags."""
    defaults = ClassifierConfig()
    return ", ".join("--" + n.replace("_", "-") for n in names if getattr(config, n) != getattr(defaults, n))
