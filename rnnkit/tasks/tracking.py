"""Where the object goes next: train on clips with the object's position in each frame (a CSV of
``clip,frame,x,y``), then predict the next K positions of new clips from their frames alone."""
from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.data import SentenceBatches, hold_out
from rnnkit.data.clips import ClipFolder, pad_clips
from rnnkit.data.images import MOST_PIXELS, native_size, parse_size
from rnnkit.data.positions import FrameCoordinates, Positions, read_positions
from rnnkit.devices import device_of
from rnnkit.errors import DataError
from rnnkit.models.modes import evaluating
from rnnkit.models.tracker import Tracker
from rnnkit.tasks.base import Output, Prepared, Task, Verb, load, parameters, write_export
from rnnkit.tasks.budget import batch_for, clips_budget, reading
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import (DEVICE, Option, channel_list, held_out, image_size, like, option, positive_int,
                                  run_dir_argument, valid_fraction_option)
from rnnkit.training.plots import plot_trajectory
from rnnkit.training.trajectory_metrics import PathErrors, format_trajectory_metrics, path_errors, trajectory_metrics

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


class Tracks:
    """Clips read once, with the object's positions: ``clips`` (``uint8 [T, C, H, W]`` each),
    ``pixels`` (``[T, 2]`` in the clip's pixels, NaN where unknown), ``coordinates`` (each clip's
    ``FrameCoordinates``) and ``units`` (the positions in [-1, 1])."""

    def __init__(self, folder: ClipFolder, positions: Positions, names: list[str]):
        self.names = names
        self.clips = [folder.read(name) for name in names]
        self.pixels = [positions.track(name, len(clip)) for name, clip in zip(names, self.clips)]
        self.coordinates = [FrameCoordinates(folder.original_size(name), folder.size) for name in names]
        self.units = [c.to_unit(p) for c, p in zip(self.coordinates, self.pixels)]

    def __len__(self) -> int:
        return len(self.names)

    def collate(self, indices: list[int]):
        """``(clips [T, B, C, H, W], lengths [B], positions [T, B, 2] in [-1, 1], NaN where unknown)``."""
        x, lengths = pad_clips([self.clips[k] for k in indices])
        positions = torch.full((len(x), len(indices), 2), float("nan"), dtype=torch.float64)
        for b, k in enumerate(indices):
            positions[: len(self.units[k]), b] = self.units[k]
        return x, lengths, positions


def score(model: Tracker, tracks: Tracks, batch_size: int = 16) -> PathErrors:
    """The errors of every scored window of ``tracks`` (``rnnkit.training.trajectory_metrics``)."""
    paths = model.predict(tracks.clips, batch_size)
    return PathErrors.join([path_errors(pixels, where.from_unit(path[:, 1:]), clip=k)
                            for k, (pixels, where, path) in enumerate(zip(tracks.pixels, tracks.coordinates, paths))])


class TrackTask(Task):
    name, noun = "track", "trajectory predictor"
    help = "train a predictor of where an object in clips goes next (many-to-many over frames)"
    description = ("Train a trajectory predictor: a small CNN, trained from scratch, reads each frame of a clip, a "
                   "recurrent network reads the frames in order, and at every frame it gives where the object is "
                   "and its next K positions. Input: a folder of clips (each a folder of frame images or a .npy "
                   "array) and a CSV of the object's position in their frames (clip,frame,x,y). Frames are read "
                   "at their own size (capped) or letterboxed to --image-size; they are read as colour if any training clip has colour. The run "
                   "keeps the model with the least validation error of the next K positions.")
    Config, model_class = TrackConfig, Tracker
    unit, select = "position", "error"
    evaluate_help = ("a trajectory predictor gives the mean error of the next K positions in pixels beside the "
                     "constant-velocity and last-position baselines (--clips DIR --positions FILE)")

    def prepare(self, run) -> Prepared:
        c = self.config
        probe = ClipFolder(c.clips, (1, 1), 1)     # names and sizes, before the frame size is settled
        train = read_positions(c.positions, probe)
        if c.valid_positions:
            kept = train.clips
        else:   # a seeded random hold-out of whole clips, in file order
            kept, names = hold_out(train.clips, held_out(c.valid_fraction), c.seed)
        cnn = c.cnn_channels or TRACK_CNN
        size = parse_size(c.image_size) if c.image_size else native_size(
            [probe.original_size(name) for name in kept or train.clips], least=2 ** len(cnn.split(",")))
        c = dataclasses.replace(c, cnn_channels=cnn, image_size=f"{size[0]}x{size[1]}",
                                batch_size=c.batch_size or batch_for(len(kept), 16))
        if run is None:   # colour where any training clip's first frame has colour
            channels = 3 if any(probe.is_colour(name) for name in train.clips) else 1
        else:
            channels = run.read_config()["data"]["channels"]
        folder = ClipFolder(c.clips, size, channels)
        if c.valid_positions:
            valid = Tracks(folder, (held := read_positions(c.valid_positions, folder)), held.clips)
        else:
            valid = Tracks(folder, train, names)
        tracks = Tracks(folder, train, kept)
        if not len(tracks):
            raise DataError(f"{c.positions}: every clip is held out for validation; give more clips or a smaller "
                            "--valid-fraction")
        if len(valid) and not len(score_windows(valid, c.horizon)):
            raise DataError(f"{c.valid_positions or c.positions}: no validation clip has a frame with known positions "
                            f"at the frame before it and the {c.horizon} after it, which the validation error needs; "
                            "give longer clips, more positions or a smaller --horizon")
        options = c.recurrent_options()
        model = Tracker(c.horizon, image_size=size, image_channels=channels, embedding_dim=c.embedding,
                        cnn_channels=tuple(int(x) for x in c.cnn_channels.split(",")), **options)
        indices = list(range(len(tracks)))
        # at random, not by clip length: the frame CNN has BatchNorm, as clips'
        batches = SentenceBatches(indices, None, c.batch_size, tracks.collate, seed=c.seed)
        lengths = [len(clip) for clip in tracks.clips]
        training = clips_budget(statistics.median_low(lengths)).length(len(tracks), c)
        description = (f"{c.cell.upper()} trajectory predictor of the next {c.horizon} positions: "
                       f"{parameters(model)} (CNN {c.cnn_channels}), "
                       f"{size[0]}x{size[1]} {'colour' if channels == 3 else 'grey'} frames, "
                       f"{min(lengths)}-{max(lengths)} frames a clip, batch {c.batch_size}, {len(tracks):,} training "
                       f"and {len(valid):,} validation clips; {reading(training)}, validating every "
                       f"{training['eval_every']} steps and stopping after {training['patience']} without improvement")
        resolved = {k: getattr(c, k) for k in ("image_size", "cnn_channels", "batch_size")}
        data = {"channels": channels, "resolved": resolved, "training": training}
        return Prepared(model, batches.epoch, valid if len(valid) else None, data, description, training=training)

    def loss(self, model, batch, carry, step):
        return (*model.loss(*batch), None)

    def validate(self, model, valid) -> dict:
        nats, count = 0.0, 0
        with evaluating(model):
            for start in range(0, len(valid), 16):
                x, lengths, positions = valid.collate(list(range(start, min(start + 16, len(valid)))))
                error, n = model.loss(x.to(device_of(model)), lengths, positions.to(device_of(model)))
                nats, count = nats + float(error), count + n
        return {"loss": nats / max(count, 1), "error": trajectory_metrics(score(model, valid))["error"]}

    def result(self, run, prepared, summary):
        if prepared.valid is None:
            return "no validation data", []
        return f"best validation error of the next {self.config.horizon} positions {summary['best_valid']:.3f} px", []

    @classmethod
    def export(cls, model, folder):
        """``tracker.onnx``: padded clips and their lengths in, every frame's present and next K
        positions out (``rnnkit.models.onnx.tracker``)."""
        from rnnkit.models.onnx import tracker

        cnn = model.cnn
        return write_export(folder, {"tracker.onnx": tracker(model)}, {
            "task": cls.name, "horizon": model.horizon, "image_size": [cnn.width, cnn.height],
            "tracker": {"inputs": ["clips", "lengths"], "outputs": ["positions"],
                        "how": "clips [steps, batch, channels, height, width] uint8, padded, each frame letterboxed to "
                               "image_size; positions [steps, batch, horizon + 1, 2]: x and y in [-1, 1] of the "
                               "letterboxed frame, now and at the next frames"}})

    @classmethod
    def evaluate(cls, model, args):
        folder = ClipFolder(args.clips, tuple(model.config["image_size"]), model.config["image_channels"])
        positions = read_positions(args.positions, folder)
        errors = score(model, Tracks(folder, positions, positions.clips), args.batch_size)
        notes = [] if len(errors.frame) else [f"{args.positions}: no frame has known positions at the frame before "
                                              f"it and the {model.horizon} after it; nothing was scored"]
        return trajectory_metrics(errors), notes

    format_metrics = staticmethod(format_trajectory_metrics)


def score_windows(tracks: Tracks, horizon: int) -> torch.Tensor:
    """The frames of ``tracks`` that ``score`` would score (their known positions allow it)."""
    return torch.cat([path_errors(p, torch.zeros(len(p), horizon, 2, dtype=torch.float64)).frame
                      for p in tracks.pixels])


def _track(args) -> Output:
    model = load(args.run_dir, args.device, task="track")
    folder = ClipFolder(".", tuple(model.config["image_size"]), model.config["image_channels"])
    clips = [folder.read(name) for name in args.clips]
    paths = model.predict(clips, args.batch_size)
    lines, out = ["clip,frame,x,y"], Output()
    for k, (name, clip, path) in enumerate(zip(args.clips, clips, paths), 1):
        where = FrameCoordinates(folder.original_size(name), folder.size)
        ahead = where.from_unit(path[-1, 1:])
        lines += [f"{name},{len(clip) + j},{x:.2f},{y:.2f}" for j, (x, y) in enumerate(ahead.tolist())]
        if args.plot:
            picture = plot_path(args.plot, len(args.clips), k, name)
            plot_trajectory(clip[-1], where.unit_to_frame(path[:, 0]), where.unit_to_frame(path[-1, 1:]), picture,
                            f"{name}: the next {model.horizon} positions")
            out.notes.append(f"path plot: {picture}")
    out.text = "\n".join(lines) + "\n"
    return out


def plot_path(plot: str, clips: int, k: int, name: str) -> Path:
    """Where ``--plot`` draws the k-th clip: the file itself where it names a .png and one clip is
    given, else ``NNN-CLIP.png`` in it as a folder."""
    if plot.lower().endswith(".png") and clips == 1:
        return Path(plot)
    return Path(plot) / f"{k:03d}-{Path(name.rstrip('/')).stem}.png"


BATCH = Option("clips read together", flags=("--batch-size",), dest="batch_size", type=positive_int, default=16)

TrackTask.evaluate_options = (
    Option("folder of the test clips", flags=("--clips",), dest="clips", metavar="DIR", required=True),
    Option("test positions: CSV of clip,frame,x,y", flags=("--positions",), dest="positions", metavar="FILE",
           required=True),
    BATCH)

TrackTask.verbs = (
    Verb("track", "predict where the object in each clip goes next",
         "Predict the positions of the object in the K frames after the end of each CLIP (a folder of frame images "
         "or a .npy array) with a run of `rnnkit train track`. Prints CSV in the training layout, clip,frame,x,y, "
         "with frames numbered on from the clip's last and x, y in pixels of its frames. With --plot, also draws "
         "each clip's last frame with the path seen so far and the predicted one.",
         (run_dir_argument("track"),
          Option("clip(s): folders of frames or .npy files", flags=("clips",), dest="clips", nargs="+", metavar="CLIP"),
          Option("draw each clip's last frame with the path so far and the predicted one: into PATH itself "
                 "where it ends in .png and one clip is given, else one PNG per clip into the folder PATH",
                 flags=("--plot",), dest="plot", metavar="PATH"),
          BATCH, DEVICE),
         _track),)
