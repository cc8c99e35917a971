"""The tracker from Python: its data, ``(clips, positions)``, the clips as for a classifier of clips
(arrays ``[frames, height, width(, 1 or 3)]``, written as ``.npy`` files) and the object's
positions in each clip's pixels as an array ``[clips, frames, 2]`` or a list of ``[frames, 2]``
arrays (x, y; NaN where unknown; written as a ``clip,frame,x,y`` CSV); and the trained tracker's
``predict``: where the object goes in the frames after each clip, as ``rnnkit track`` gives it."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from rnnkit.data.clips import ClipFolder
from rnnkit.data.positions import FrameCoordinates
from rnnkit.errors import RnnkitError
from rnnkit.models.tracker import Tracker
from rnnkit.tasks.python import examples_of, pair_of_lists, write_clips, write_file
from rnnkit.tasks.tracking.verbs import VERBS
from rnnkit.tasks.trained import Trained


class TrainedTracker(Trained, Tracker):
    """A trained tracker: where the object in a clip goes next."""

    def predict(self, inputs, **options) -> list[np.ndarray]:
        """For each clip of ``inputs`` (a list of arrays ``[frames, height, width(, channels)]``, or
        one array of clips), the object's positions in the ``horizon`` frames after its last:
        ``[horizon, 2]`` (x, y in pixels of the clip's frames).  ``options``: ``batch_size``, as for
        ``rnnkit track``."""
        s = self.settings(options, VERBS[0], ("batch_size",))
        with tempfile.TemporaryDirectory(prefix="rnnkit-clips-") as folder:
            names = write_clips(Path(folder), examples_of(inputs, "inputs"), "", "inputs")
            reader = ClipFolder(folder, tuple(self.config["image_size"]), self.config["image_channels"])
            clips = [reader.read(name) for name in names]
            where = [FrameCoordinates(reader.original_size(name), reader.size) for name in names]
        return [w.from_unit(path[-1, 1:]).numpy() for w, path in zip(where, self.paths(clips, s.batch_size))]


def data_files(data, valid, folder: Path) -> dict:
    """``clips/`` with ``train-positions.csv`` (and ``valid-positions.csv``) in ``folder``: the
    options ``clips``, ``positions`` and ``valid_positions``."""
    options = {}
    for role, given, option in (("data", data, "positions"), ("valid", valid, "valid_positions")):
        if given is None:
            continue
        clips, tracks = pair_of_lists(given, "clips", "position tracks", role)
        names = write_clips(folder / "clips", clips, "" if role == "data" else "valid-", role)
        rows = ["clip,frame,x,y"]
        for k, (name, clip, track) in enumerate(zip(names, clips, tracks)):
            xy = np.asarray(track, dtype=np.float64) if not isinstance(track, str) else None
            frames = len(clip)
            if xy is None or xy.ndim != 2 or xy.shape[1] != 2 or len(xy) != frames:
                raise RnnkitError(f"{role}: the positions of clip {k} have shape "
                                  f"{'a string' if xy is None else list(xy.shape)}; expected [frames, 2] = "
                                  f"[{frames}, 2] (x, y per frame, NaN where unknown)")
            if np.isinf(xy).any():
                raise RnnkitError(f"{role}: the positions of clip {k} hold an infinite value")
            rows += [f"{name},{t},{x!r},{y!r}" for t, (x, y) in enumerate(xy.tolist())
                     if not (math.isnan(x) or math.isnan(y))]
        options.update({"clips": str(folder / "clips"),
                        option: write_file(folder, f"{role}-positions.csv", "".join(row + "\n" for row in rows))})
    return options
