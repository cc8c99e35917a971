"""The caption task's options, and the decoding options its commands share."""
from __future__ import annotations

from dataclasses import dataclass

from rnnkit.layers.attention import SCORES
from rnnkit.tasks.budget import Budget
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import (Option, channel_list, image_size, like, non_negative_float, option, positive_float,
                                  positive_int, valid_fraction_option)

IMAGE_PIXELS = 128 * 128    # the default image size's cap: the CNN costs in proportion to the pixels
CAPTIONS_READ = 64_000      # captions a default run reads (2,000 steps at batch 32); 20 validations (greedy BLEU)
BUDGET = Budget(CAPTIONS_READ, max_epochs=300, min_steps=600, evaluations=20)


@dataclass
class CaptionConfig(RecurrentConfig, TrainingConfig):
    images: str = option(None, "folder of the images (PNG, JPEG, ... or IDX files, an image of which is named "
                               "FILE#K)", required=True, metavar="DIR", group="data")
    captions: str = option(None, "training captions: IMAGE<TAB>CAPTION per line, IMAGE a path under --images; an "
                                 "image may have several lines; an optional header", required=True, metavar="FILE",
                           group="data")
    valid_captions: str | None = option(None, "validation captions, same layout (images under --images)",
                                        metavar="FILE", group="data", exclusive="valid")
    valid_fraction: float | None = valid_fraction_option(
        "hold out this random fraction of the training images with all their captions", "--valid-captions")
    image_size: str | None = option(None, "every image is letterboxed (scaled with its aspect ratio kept, the rest "
                                          "filled with its border colour) to N x N or WIDTHxHEIGHT pixels (default: "
                                          "the images' own size, never scaled up, scaled down to at most "
                                          f"{IMAGE_PIXELS:,} pixels)", type=image_size, metavar="SIZE", group="data")
    min_freq: int = option(1, "keep caption words seen at least this often (others become <unk>)",
                           type=positive_int, group="data")
    max_length: int = option(50, "caption tokens; longer captions are truncated (with one warning), and no "
                                 "caption written is longer", type=positive_int, group="data")
    hidden: int = like(256, help="decoder units per layer")
    dropout: float = like(0.2)
    embedding: int = option(64, "word embedding size", type=positive_int, group="model")
    attention: str = option("general", "none: the image reaches the decoder through its initial state only (the "
                                       "lectures' model); dot, general or additive: the decoder also attends to the "
                                       "image regions at every word (Xu et al. 2015)", choices=(*SCORES, "none"),
                            group="model")
    cnn_channels: str = option("16,32,64", "channels of each CNN block (each block halves the image)",
                               type=channel_list, metavar="C,C,...", group="model")
    coverage: float = option(0.0, "with --attention: weight of a training penalty on reading one image region "
                                  "for more than one word (against words read twice)", type=non_negative_float,
                             metavar="WEIGHT", group="model")
    elastic: float = option(0.0, "training-time elastic distortion (Simard et al. 2003): each image bends by a smooth "
                                 "random field moving its pixels by about this many pixels (root mean square; 0: "
                                 "off); a fresh variant of each image at every epoch, against learning a small "
                                 "set of handwriting by heart", type=non_negative_float, metavar="PIXELS",
                         group="model")
    elastic_sigma: float = option(4.0, "with --elastic: smoothness of the field, in pixels (larger: whole shapes "
                                       "bend; smaller: each stroke wobbles)", type=positive_float, metavar="PIXELS",
                                  group="model")
    batch_size: int | None = like(None, help="captions per batch (default: about an eighth of the training "
                                             "captions, 4 to 32)")
    epochs: int | None = like(None, help="passes over the training captions (default: from their count, and the "
                                         "run stops when the validation BLEU stops improving)")


DECODING = (
    Option("beam size (1: greedy decoding)", flags=("--beam",), dest="beam", type=positive_int, default=5),
    Option("images captioned together", flags=("--batch-size",), dest="batch_size", type=positive_int, default=64))
