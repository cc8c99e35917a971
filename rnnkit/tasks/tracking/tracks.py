"""Clips with the positions of the object in them, read once, and the errors of a tracker's
predicted paths on them."""
from __future__ import annotations

import torch

from rnnkit.data.clips import ClipFolder, pad_clips
from rnnkit.data.positions import FrameCoordinates, Positions
from rnnkit.models.tracker import Tracker
from rnnkit.tasks.tracking.metrics import PathErrors, path_errors


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
    """The errors of every scored window of ``tracks`` (``rnnkit.tasks.tracking.metrics``)."""
    paths = model.paths(tracks.clips, batch_size)
    return PathErrors.join([path_errors(pixels, where.from_unit(path[:, 1:]), clip=k)
                            for k, (pixels, where, path) in enumerate(zip(tracks.pixels, tracks.coordinates, paths))])


def score_windows(tracks: Tracks, horizon: int) -> torch.Tensor:
    """The frames of ``tracks`` that ``score`` would score (their known positions allow it)."""
    return torch.cat([path_errors(p, torch.zeros(len(p), horizon, 2, dtype=torch.float64)).frame
                      for p in tracks.pixels])
