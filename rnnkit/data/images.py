"""Images and their captions: PNG, JPEG (anything Pillow opens) and IDX arrays, letterboxed to
one size fixed at training.

Letterboxing (as detection models prepare their inputs): the image is scaled to fit ``width x
height`` with its aspect ratio kept, centred, and the rest is filled with the mean colour of the
image's border, so that a digit on black stays on black and a drawing on white on white.  Values
are kept as bytes (``uint8 [channels, height, width]``); a model reads them divided by 255.

An image is named by its path under the images folder; ``NAME#K`` names the ``K``-th image
(from 0) of an IDX file such as MNIST's ``images-idx3-ubyte.gz``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rnnkit.data.idx import read_idx
from rnnkit.data.parallel import read_lines
from rnnkit.errors import DataError

MODES = {1: "L", 3: "RGB"}          # channels -> Pillow mode
HEADER_NAMES = {"image", "images", "file", "filename", "file_name", "path", "name", "img"}
MOST_PIXELS = 32 * 32               # the default size's cap: a CNN per frame costs in proportion to them


def native_size(sizes: list[tuple[int, int]], least: int = 1, most_pixels: int = MOST_PIXELS) -> tuple[int, int]:
    """The size to read images of ``sizes`` (``(width, height)`` each) at where the user gives none:
    the typical image's (the median width and height), never scaled up, scaled down with its aspect
    ratio kept to at most ``most_pixels`` for speed, and at least ``least`` pixels a side (what
    the CNN's blocks can halve)."""
    width, height = (float(np.median([s[k] for s in sizes])) for k in (0, 1))
    scale = min(1.0, (most_pixels / (width * height)) ** 0.5)
    return max(least, int(width * scale)), max(least, int(height * scale))


def parse_size(text: str) -> tuple[int, int]:
    """``"64"`` (square) or ``"WIDTHxHEIGHT"`` (``"128x64"``) -> ``(width, height)``."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX×]\s*(\d+))?\s*", str(text))
    if not match or int(match.group(1)) < 1 or (match.group(2) and int(match.group(2)) < 1):
        raise ValueError(f"an image size is N (square) or WIDTHxHEIGHT in pixels, e.g. 64 or 128x64; got {text!r}")
    width = int(match.group(1))
    return width, int(match.group(2) or width)


def letterbox(image, width: int, height: int):
    """A Pillow image scaled into ``width x height``, aspect ratio kept, centred on its border colour."""
    from PIL import Image

    pixels = np.asarray(image, dtype=np.float64)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    fill = tuple(int(round(v)) for v in np.atleast_1d(border.mean(0)))
    size, offset = letterbox_box(image.width, image.height, width, height)
    canvas = Image.new(image.mode, (width, height), fill if len(fill) > 1 else fill[0])
    canvas.paste(image.resize(size, Image.BILINEAR), offset)
    return canvas


def letterbox_box(image_width: int, image_height: int, width: int, height: int):
    """Where ``letterbox`` puts an image of ``image_width x image_height`` in ``width x height``:
    its scaled size ``(w, h)`` and the offset ``(x, y)`` of its top-left corner."""
    scale = min(width / image_width, height / image_height)
    size = (max(1, round(image_width * scale)), max(1, round(image_height * scale)))
    return size, ((width - size[0]) // 2, (height - size[1]) // 2)


def is_colour(image) -> bool:
    """Whether a Pillow image has colour (a palette image counts where its colours are not grey)."""
    if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
        return False
    rgb = np.asarray(image.convert("RGB"))
    return not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))


class ImageFolder:
    """The images under ``root``, read by name (``NAME`` or ``NAME#K`` for an IDX file), letterboxed
    to ``size`` with ``channels`` (1 grey, 3 colour).  IDX files are read once."""

    def __init__(self, root: str | Path, size: tuple[int, int], channels: int):
        self.root, self.size, self.channels = Path(root), size, channels
        if channels not in MODES:
            raise ValueError(f"channels must be 1 (grey) or 3 (colour), got {channels}")
        self._arrays: dict[Path, np.ndarray] = {}

    def path(self, name: str) -> tuple[Path, int | None]:
        """The file a name refers to, and the index within it for ``NAME#K``."""
        file, index = name, None
        if "#" in name:
            head, tail = name.rsplit("#", 1)
            if tail.isdigit() and (self.root / head).is_file():
                file, index = head, int(tail)
        return self.root / file, index

    def exists(self, name: str) -> bool:
        return self.path(name)[0].is_file()

    def open(self, name: str):
        """The Pillow image of ``name``, unchanged (errors name the file)."""
        from PIL import Image, UnidentifiedImageError

        path, index = self.path(name)
        if index is not None or _is_idx(path):
            array = self._idx(path)
            if index is None or index >= len(array):
                raise DataError(f"{path}: an IDX file of {len(array)} images; name one as {path.name}#K with K from "
                                f"0 to {len(array) - 1}")
            values = array[index]
            return Image.fromarray(values.astype(np.uint8), "L" if values.ndim == 2 else "RGB")
        if path.is_dir():
            raise DataError(f"{path}: is a folder; give image files (or FILE#K for the K-th image of an IDX file)")
        if not path.is_file():
            raise DataError(f"{path}: no such image")
        try:
            with Image.open(path) as image:
                image.load()
                return image
        except UnidentifiedImageError:
            raise DataError(f"{path}: not an image Pillow can read (PNG, JPEG, GIF, BMP, TIFF, WebP, ...)") from None
        except OSError as e:
            raise DataError(f"{path}: the image cannot be read ({e})") from None

    def read(self, name: str) -> torch.Tensor:
        """``uint8 [channels, height, width]``: the image letterboxed to the folder's size."""
        image = letterbox(self.open(name).convert(MODES[self.channels]), *self.size)
        array = np.asarray(image, dtype=np.uint8)
        return torch.from_numpy(array.reshape(*array.shape[:2], -1).transpose(2, 0, 1).copy())

    def _idx(self, path: Path) -> np.ndarray:
        if path not in self._arrays:
            array = read_idx(path)
            if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] != 3):
                raise DataError(f"{path}: an IDX file of images is [n, rows, cols] (grey) or [n, rows, cols, 3], "
                                f"this one is {list(array.shape)}")
            if array.dtype != np.uint8:
                array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255)
            self._arrays[path] = array
        return self._arrays[path]


def _is_idx(path: Path) -> bool:
    name = path.name.removesuffix(".gz")
    return "idx" in name.lower() and name.lower().endswith(("ubyte", ".idx")) and path.is_file()


@dataclass
class Captions:
    """A caption file: the images named in order of first appearance, each with its captions."""
    source: str
    images: list[str]
    captions: list[list[str]]      # per image, in file order
    lines: list[list[int]]         # the line of each caption


def read_captions(path: str | Path, folder: ImageFolder) -> Captions:
    """``IMAGE<TAB>CAPTION`` per line (an image may have several lines: several references), an
    optional header (a first line whose image field is a column name such as "image"); blank
    lines are skipped.  Errors name the file and line: a line without a tab, an empty caption,
    an image that is not under the folder."""
    images: dict[str, int] = {}
    captions: list[list[str]] = []
    lines: list[list[int]] = []
    for number, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        if "\t" not in line:
            raise DataError(f"{path}, line {number}: expected IMAGE<TAB>CAPTION, found no tab")
        name, caption = line.split("\t", 1)
        name, caption = name.strip(), " ".join(caption.split())
        if not images and not folder.exists(name) and name.lower() in HEADER_NAMES:
            continue                                   # a header row
        if not caption:
            raise DataError(f"{path}, line {number}: the caption of {name!r} is empty")
        if not folder.exists(name):
            raise DataError(f"{path}, line {number}: image {name!r} is not under {folder.root}")
        if name not in images:
            images[name] = len(captions)
            captions.append([])
            lines.append([])
        captions[images[name]].append(caption)
        lines[images[name]].append(number)
    if not images:
        raise DataError(f"{path}: has no captions (expected IMAGE<TAB>CAPTION lines)")
    return Captions(str(path), list(images), captions, lines)
