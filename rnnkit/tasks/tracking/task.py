"""Where will it go next (aligned many-to-many over frames): a CNN reads each frame, the recurrent
layers the sequence, and each step predicts the object's next K positions."""
from __future__ import annotations

import dataclasses
import statistics

from rnnkit.data import SentenceBatches, hold_out
from rnnkit.data.clips import ClipFolder
from rnnkit.data.images import native_size, parse_size
from rnnkit.data.positions import read_positions
from rnnkit.devices import device_of
from rnnkit.errors import DataError
from rnnkit.models.modes import evaluating
from rnnkit.models.tracker import Tracker
from rnnkit.tasks.base import Prepared, Task, parameters, write_export
from rnnkit.tasks.budget import batch_for, clips_budget, reading
from rnnkit.tasks.options import Option, check_cnn_fits, held_out
from rnnkit.tasks.tracking import python
from rnnkit.tasks.tracking.config import BATCH, TRACK_CNN, TrackConfig
from rnnkit.tasks.tracking.metrics import format_trajectory_metrics, trajectory_metrics
from rnnkit.tasks.tracking.tracks import Tracks, score, score_windows
from rnnkit.tasks.tracking.verbs import VERBS


class TrackTask(Task):
    name, noun = "track", "trajectory predictor"
    help = "train a predictor of where an object in clips goes next (many-to-many over frames)"
    description = ("Train a trajectory predictor: a small CNN, trained from scratch, reads each frame of a clip, a "
                   "recurrent network reads the frames in order, and at every frame it gives where the object is "
                   "and its next K positions. Input: a folder of clips (each a folder of frame images or a .npy "
                   "array) and a CSV of the object's position in their frames (clip,frame,x,y). Frames are read "
                   "at their own size (capped) or letterboxed to --image-size; they are read as colour if any training clip has colour. The run "
                   "keeps the model with the least validation error of the next K positions.")
    Config, model_class = TrackConfig, python.TrainedTracker
    data_files = staticmethod(python.data_files)
    test_options = {"valid_positions": "positions"}
    verbs = VERBS
    exports = "a tracker gives tracker.onnx"
    evaluate_options = (
        Option("folder of the test clips", flags=("--clips",), dest="clips", metavar="DIR", required=True),
        Option("test positions: CSV of clip,frame,x,y", flags=("--positions",), dest="positions", metavar="FILE",
               required=True),
        BATCH)
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
        check_cnn_fits(size, cnn)
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
        positions out (``rnnkit.tasks.tracking.export.tracker``)."""
        from rnnkit.tasks.tracking.export import tracker

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
