"""Clips (videos as sequences of frames) and their labels.

A clip is a folder of frame images, read in natural name order (``frame2`` before ``frame10``),
or one ``.npy`` array ``[T, H, W]`` (grey) or ``[T, H, W, C]`` (C = 1 or 3), read without pickles.
Every frame is letterboxed as ``rnnkit.data.images`` does, to a size fixed at training; a clip is
``uint8 [T, channels, height, width]``.  Clips may differ in length; the frames of one clip must
have one size.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rnnkit.data.images import ImageFolder, is_colour, letterbox
from rnnkit.data.parallel import read_lines
from rnnkit.errors import DataError

HEADER_NAMES = {"clip", "clips", "video", "name", "path", "file", "folder"}


def natural_key(name: str):
    """Sort key that reads runs of digits as numbers: frame2 < frame10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


class ClipFolder:
    """The clips under ``root`` (folders of frames or ``.npy`` files), by name, with their frames
    letterboxed to ``size`` (width, height) with ``channels`` (1 grey, 3 colour)."""

    def __init__(self, root: str | Path, size: tuple[int, int], channels: int):
        self.root, self.size, self.channels = Path(root), size, channels
        self.images = ImageFolder(root, size, channels)

    def path(self, name: str) -> Path:
        return self.root / name

    def exists(self, name: str) -> bool:
        path = self.path(name)
        return path.is_dir() or (path.is_file() and path.suffix == ".npy")

    def frame_names(self, name: str) -> list[str]:
        """The frames of a folder clip, in natural name order (hidden files left out)."""
        path = self.path(name)
        frames = sorted((f.name for f in path.iterdir() if f.is_file() and not f.name.startswith(".")),
                        key=natural_key)
        if not frames:
            raise DataError(f"{path}: the clip has no frames (expected image files in the folder)")
        return frames

    def length(self, name: str) -> int:
        """The clip's number of frames."""
        path = self.path(name)
        return len(self.frame_names(name)) if path.is_dir() else self._shape(path)[0]

    def original_size(self, name: str) -> tuple[int, int]:
        """``(width, height)`` of the clip's frames before letterboxing (its first frame's)."""
        path = self.path(name)
        if path.is_dir():
            return self.images.open(f"{name}/{self.frame_names(name)[0]}").size
        shape = self._shape(path)
        return shape[2], shape[1]

    def is_colour(self, name: str) -> bool:
        """Whether the clip's first frame has colour."""
        path = self.path(name)
        if path.is_dir():
            return is_colour(self.images.open(f"{name}/{self.frame_names(name)[0]}"))
        array = self._array(path)
        return array.ndim == 4 and array.shape[-1] == 3 and not (
            np.array_equal(array[0, ..., 0], array[0, ..., 1]) and np.array_equal(array[0, ..., 1], array[0, ..., 2]))

    def read(self, name: str) -> torch.Tensor:
        """``uint8 [T, channels, height, width]``."""
        from PIL import Image

        path = self.path(name)
        if path.is_dir():
            frames, size = [], None
            names = self.frame_names(name)
            if any(frame.endswith(".npy") for frame in names):
                raise DataError(f"{path}: a folder of clips, not a clip; give each clip (a folder of frame images or "
                                "a .npy file)")
            for frame in names:
                image = self.images.open(f"{name}/{frame}")
                if size is not None and image.size != size:
                    raise DataError(f"{path / frame}: the frame is {image.width}x{image.height} pixels, the clip's "
                                    f"first frame {size[0]}x{size[1]}; the frames of a clip must have one size")
                size = image.size
                frames.append(image)
        elif path.is_file() and path.suffix == ".npy":
            array = self._array(path)
            mode = "L" if array.ndim == 3 or array.shape[-1] == 1 else "RGB"
            frames = [Image.fromarray(a[..., 0] if a.ndim == 3 and a.shape[-1] == 1 else a, mode) for a in array]
        else:
            raise DataError(f"{path}: no such clip (a clip is a folder of frames or a .npy file)")
        mode = {1: "L", 3: "RGB"}[self.channels]
        arrays = [np.asarray(letterbox(f.convert(mode), *self.size), dtype=np.uint8) for f in frames]
        clip = np.stack([a.reshape(*a.shape[:2], -1).transpose(2, 0, 1) for a in arrays])
        return torch.from_numpy(clip)

    def _shape(self, path: Path) -> tuple[int, ...]:
        """A ``.npy`` clip's shape, from its header (the array is checked when the clip is read)."""
        if not (path.is_file() and path.suffix == ".npy"):
            raise DataError(f"{path}: no such clip (a clip is a folder of frames or a .npy file)")
        try:
            shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
        except (ValueError, OSError, EOFError):
            shape = self._array(path).shape   # the full read names what is wrong
        if len(shape) not in (3, 4) or 0 in shape[:3]:
            return self._array(path).shape
        return shape

    @staticmethod
    def _array(path: Path) -> np.ndarray:
        """A clip's ``.npy`` array as bytes, checked: ``[T, H, W]`` or ``[T, H, W, 1 or 3]``, T >= 1."""
        with path.open("rb") as f:
            if f.read(6) != b"\x93NUMPY":
                raise DataError(f"{path}: not a .npy file (it lacks NumPy's header); a clip is a folder of frame "
                                "images or an array saved with numpy.save")
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise DataError(f"{path}: not a .npy array numpy can read without pickles ({e})") from None
        if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] not in (1, 3)):
            raise DataError(f"{path}: a clip array is [frames, height, width] or [frames, height, width, 1 or 3], "
                            f"this one is {list(array.shape)}")
        if array.shape[0] == 0 or 0 in array.shape[1:3]:
            raise DataError(f"{path}: the clip is empty ({list(array.shape)})")
        if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
            raise DataError(f"{path}: the clip holds {array.dtype} values; expected numbers (bytes 0-255 or "
                            "values in [0, 1])")
        if array.dtype != np.uint8:
            if np.isnan(array).all():
                raise DataError(f"{path}: every value of the clip is NaN; there is nothing to read")
            array = np.nan_to_num(array.astype(np.float64))
            array = np.clip(np.rint(array * (255.0 if array.max() <= 1.0 else 1.0)), 0, 255).astype(np.uint8)
        return array


@dataclass
class ClipLabels:
    """A label file: the clips in file order, their labels and lines."""
    source: str
    clips: list[str]
    labels: list[str]
    lines: list[int]


def read_clip_labels(path: str | Path, folder: ClipFolder) -> ClipLabels:
    """``CLIP<TAB>LABEL`` per line (CLIP: a folder or .npy file under the clips folder), an optional
    header (a first line whose clip field is a column name such as "clip"); blank lines skipped.
    Errors name the file and line."""
    clips, labels, lines = [], [], []
    for number, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise DataError(f"{path}, line {number}: expected CLIP<TAB>LABEL, found {len(fields)} field(s)")
        name, label = (f.strip() for f in fields)
        if not clips and not folder.exists(name) and name.lower() in HEADER_NAMES:
            continue
        if not label:
            raise DataError(f"{path}, line {number}: the label of {name!r} is empty")
        if not folder.exists(name):
            raise DataError(f"{path}, line {number}: clip {name!r} is not under {folder.root} (a clip is a folder of "
                            "frames or a .npy file)")
        clips.append(name)
        labels.append(label)
        lines.append(number)
    if not clips:
        raise DataError(f"{path}: has no labelled clips (expected CLIP<TAB>LABEL lines)")
    return ClipLabels(str(path), clips, labels, lines)


def pad_clips(clips: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips ``[T_b, C, H, W]`` as one time-major batch ``[T, B, C, H, W]`` (zeros past each clip's
    end) and their lengths ``[B]``."""
    lengths = torch.tensor([len(c) for c in clips])
    batch = clips[0].new_zeros(int(lengths.max()), len(clips), *clips[0].shape[1:])
    for b, clip in enumerate(clips):
        batch[: len(clip), b] = clip
    return batch, lengths
