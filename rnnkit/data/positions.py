"""Where an object is in the frames of clips: a CSV of ``clip,frame,x,y`` and the map from pixels
to the ``[-1, 1]`` coordinates of the letterboxed frames a model reads.

``x`` and ``y`` are pixels of the clip's own frames, x to the right and y down, with pixel
``(i, j)``'s centre at ``x = i, y = j`` (numpy's column and row); ``frame`` counts a clip's frames
from 0 (in name order for a folder of frames, whose frame file names are accepted too).  A frame
with no line, or an empty (or ``nan``) x or y, is a frame where the position is unknown; a
position further outside the frame than the frame's own size is refused.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from rnnkit.data.clips import ClipFolder
from rnnkit.data.images import letterbox_box
from rnnkit.data.parallel import read_lines
from rnnkit.errors import DataError

COLUMNS = ("clip", "frame", "x", "y")


@dataclass
class Positions:
    """A positions file: its clips in order of first appearance, and for each clip the known
    positions by frame, ``{frame: (x, y)}``."""
    source: str
    clips: list[str] = field(default_factory=list)
    points: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)

    def track(self, clip: str, length: int) -> torch.Tensor:
        """``[length, 2]`` float64 pixels of the clip's frames, NaN where unknown."""
        out = torch.full((length, 2), math.nan, dtype=torch.float64)
        for frame, xy in self.points[clip].items():
            out[frame] = torch.tensor(xy, dtype=torch.float64)
        return out


def _number(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: {what} {text!r} is not a number") from None
    if math.isinf(value):
        raise DataError(f"{where}: {what} is {text!r}; expected a finite number of pixels")
    return value


def read_positions(path, folder: ClipFolder) -> Positions:
    """The ``clip,frame,x,y`` lines of ``path`` (an optional header naming those columns, in any
    order, with others ignored; blank lines skipped) for clips under ``folder``.  Errors name the
    file and line: a clip that is not there, a frame past the clip's end, a frame given twice,
    a value that is not a number."""
    positions, lengths, frame_names, sizes = Positions(str(path)), {}, {}, {}
    columns = None
    for number, row in enumerate(csv.reader(read_lines(path)), 1):
        if not row or not "".join(row).strip():
            continue
        where = f"{path}, line {number}"
        if columns is None:
            names = [f.strip().lower() for f in row]
            if all(c in names for c in COLUMNS):
                columns = [names.index(c) for c in COLUMNS]
                continue
            columns = list(range(len(COLUMNS)))
            if len(row) != len(COLUMNS):
                raise DataError(f"{where}: expected clip,frame,x,y (or a header naming those columns), found "
                                f"{len(row)} field(s)")
        if len(row) <= max(columns):
            raise DataError(f"{where}: expected {max(columns) + 1} fields as the header says, found {len(row)}")
        clip, frame, x, y = (row[c].strip() for c in columns)
        if not folder.exists(clip):
            raise DataError(f"{where}: clip {clip!r} is not under {folder.root} (a clip is a folder of frames or a "
                            ".npy file)")
        if clip not in lengths:
            lengths[clip] = folder.length(clip)
        index = _frame_index(frame, clip, folder, frame_names, where)
        if not 0 <= index < lengths[clip]:
            raise DataError(f"{where}: frame {frame} is not a frame of {clip!r}, which has {lengths[clip]} (frames "
                            f"count from 0 to {lengths[clip] - 1})")
        if not x or not y or x.lower() == "nan" or y.lower() == "nan":
            continue   # the position of this frame is unknown
        points = positions.points.setdefault(clip, {})
        if clip not in positions.clips:
            positions.clips.append(clip)
        if index in points:
            raise DataError(f"{where}: frame {frame} of {clip!r} is given a second time")
        point = (_number(x, "x", where), _number(y, "y", where))
        if clip not in sizes:
            sizes[clip] = folder.original_size(clip)
        width, height = sizes[clip]
        if not (-width <= point[0] <= 2 * width and -height <= point[1] <= 2 * height):
            raise DataError(f"{where}: ({x}, {y}) is far outside {clip!r}, whose frames are {width}x{height} pixels "
                            "(a position may leave the frame by at most its size; leave x and y empty where the "
                            "position is unknown)")
        points[index] = point
    if not positions.clips:
        raise DataError(f"{path}: has no positions (expected clip,frame,x,y lines)")
    return positions


def _frame_index(frame: str, clip: str, folder: ClipFolder, names: dict, where: str) -> int:
    """A frame field as the 0-based index of the frame: a whole number, or a frame file's name (with
    or without its suffix)."""
    if frame.lstrip("-").isdigit():
        return int(frame)
    if folder.path(clip).is_dir():
        if clip not in names:
            files = folder.frame_names(clip)
            names[clip] = {**{Path(name).stem: k for k, name in enumerate(files)},
                           **{name: k for k, name in enumerate(files)}}
        if frame in names[clip]:
            return names[clip][frame]
    raise DataError(f"{where}: frame {frame!r} is neither a frame number (from 0) nor a frame file of {clip!r}")


class FrameCoordinates:
    """The map between a clip's pixels (frames of ``original`` ``(width, height)``) and the
    ``[-1, 1]`` coordinates of its frames letterboxed to ``size`` (-1 and 1: the centres of the
    first and last pixels)."""

    def __init__(self, original: tuple[int, int], size: tuple[int, int]):
        (w, h), (W, H) = original, size
        scaled, offset = letterbox_box(w, h, W, H)
        self.scale = torch.tensor([scaled[0] / w, scaled[1] / h], dtype=torch.float64)
        self.offset = torch.tensor(offset, dtype=torch.float64)
        self.span = torch.tensor([max(W - 1, 1), max(H - 1, 1)], dtype=torch.float64)

    def frame_pixels(self, xy: torch.Tensor) -> torch.Tensor:
        """Pixels of the clip -> pixels of the letterboxed frame, ``[..., 2]``."""
        return (xy.double() + 0.5) * self.scale - 0.5 + self.offset

    def to_unit(self, xy: torch.Tensor) -> torch.Tensor:
        """Pixels of the clip ``[..., 2]`` -> ``[-1, 1]`` coordinates."""
        return self.frame_pixels(xy) / self.span * 2 - 1

    def unit_to_frame(self, u: torch.Tensor) -> torch.Tensor:
        """``[-1, 1]`` coordinates -> pixels of the letterboxed frame."""
        return (u.double() + 1) / 2 * self.span

    def from_unit(self, u: torch.Tensor) -> torch.Tensor:
        """``[-1, 1]`` coordinates ``[..., 2]`` -> pixels of the clip."""
        return (self.unit_to_frame(u) - self.offset + 0.5) / self.scale - 0.5
