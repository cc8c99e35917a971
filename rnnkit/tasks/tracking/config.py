"""The track task's options."""
from __future__ import annotations

from dataclasses import dataclass

from rnnkit.data.images import MOST_PIXELS
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import Option, channel_list, image_size, like, option, positive_int, valid_fraction_option

TRACK_CNN = "16,32,64"   # the frame CNN's blocks where the user gives none


@dataclass
class TrackConfig(RecurrentConfig, TrainingConfig):
    clips: str = option(None, "folder of the clips: each a folder of frame images (in name order) or a .npy array "
                              "[frames, height, width(, channels)]", required=True, metavar="DIR", group="data")
    positions: str = option(None, "training positions: CSV of clip,frame,x,y (frame from 0 or a frame file's name; x, "
                                  "y in pixels of the clip's frames, y down; an optional header; frames without a "
                                  "line are unknown)", required=True, metavar="FILE", group="data")
    valid_positions: str | None = option(None, "validation positions, same layout (clips under --clips)",
                                         metavar="FILE", group="data", exclusive="valid")
    valid_fraction: float | None = valid_fraction_option("hold out this random fraction of the training clips",
                                                         "--valid-positions")
    horizon: int = option(5, "positions to predict after each frame", type=positive_int, metavar="K", group="data")
    image_size: str | None = option(None, "frames are letterboxed (scaled with their aspect ratio kept, the rest "
                                          "filled with the border colour) to N x N or WIDTHxHEIGHT pixels (default: "
                                          "the clips' own size, never scaled up, scaled down to at most "
                                          f"{MOST_PIXELS:,} pixels)", type=image_size, metavar="SIZE", group="data")
    embedding: int = option(128, "size each frame's CNN features are projected to", type=positive_int, group="model")
    cnn_channels: str | None = option(None, "channels of each block of the frame CNN (each block halves the frame; "
                                            f"default: {TRACK_CNN})", type=channel_list, metavar="C,C,...",
                                      group="model")
    hidden: int = like(128)
    batch_size: int | None = like(None, help="clips per batch (default: about an eighth of the training clips, 4 "
                                             "to 16)")
    epochs: int | None = like(None, help="passes over the training clips (default: from their count and length, "
                                         "and the run stops when the validation error stops improving)")


BATCH = Option("clips read together", flags=("--batch-size",), dest="batch_size", type=positive_int, default=16)
