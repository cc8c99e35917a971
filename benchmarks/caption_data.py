"""Captioning data from real handwritten digits, in the generic format of ``rnnkit train caption``.

    python benchmarks/caption_data.py OUT_DIR [--variant count|relation] [--train N] [--valid N] [--test N]
                                      [--canvas WxH] [--most N]

The 8,000 MNIST digits of ``../shared/data/mnist`` are split into train / valid / test digits
(80/10/10, seed 0) *before* composing, so that test canvases hold digits never seen in training.
Variants:

- ``count``: a canvas (``--canvas``, default 136x44) with 1 to ``--most`` (default 4) digits at
  random, non-overlapping positions (random horizontal gaps, random heights), captioned left to
  right: "three seven one".
- ``relation``: a 2 x 2 grid (64 x 64) holding two digits in two cells of one row or one column,
  each with a small random shift: "a seven above a two", "a three left of a five".

OUT_DIR receives ``images/`` (PNG) and ``train.tsv``, ``valid.tsv``, ``test.tsv``
(``IMAGE<TAB>CAPTION``).  The same arguments write the same files.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, generator_parser, part_sizes  # noqa: E402

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
DIGIT = 28
COUNT_CANVAS = (136, 44)      # width, height: room for four digits and some freedom
GRID_CELL = 32                # relation: 2 x 2 cells of 32 pixels, a digit shifted within its cell


def digits() -> tuple[np.ndarray, np.ndarray]:
    from rnnkit.data import read_idx

    images = read_idx(DATA / "mnist" / "digits-images-idx3-ubyte.gz")
    labels = read_idx(DATA / "mnist" / "digits-labels-idx1-ubyte.gz")
    return images, labels


def paste(canvas: np.ndarray, digit: np.ndarray, x: int, y: int) -> None:
    region = canvas[y : y + DIGIT, x : x + DIGIT]
    np.maximum(region, digit, out=region)


def count_scene(rng, images, labels, pool, canvas: tuple[int, int] = COUNT_CANVAS, most: int = 4) -> tuple[
        np.ndarray, str]:
    width, height = canvas
    if width < most * DIGIT or height < DIGIT:
        raise ValueError(f"a {width}x{height} canvas cannot hold {most} digits of {DIGIT} x {DIGIT} side by side")
    n = int(rng.integers(1, most + 1))
    chosen = rng.choice(pool, n, replace=False)
    free = width - n * DIGIT
    cuts = np.sort(rng.integers(0, free + 1, n))          # n random gaps before the digits, in order
    canvas = np.zeros((height, width), np.uint8)
    for k, index in enumerate(chosen):
        x = int(cuts[k]) + k * DIGIT
        paste(canvas, images[index], x, int(rng.integers(0, height - DIGIT + 1)))
    return canvas, " ".join(NAMES[labels[i]] for i in chosen)


def relation_scene(rng, images, labels, pool) -> tuple[np.ndarray, str]:
    first, second = rng.choice(pool, 2, replace=False)
    canvas = np.zeros((2 * GRID_CELL, 2 * GRID_CELL), np.uint8)
    if rng.random() < 0.5:            # one column: first above second
        column = int(rng.integers(0, 2))
        cells, relation = [(column, 0), (column, 1)], "above"
    else:                             # one row: first left of second
        row = int(rng.integers(0, 2))
        cells, relation = [(0, row), (1, row)], "left of"
    for index, (cx, cy) in zip((first, second), cells):
        shift = rng.integers(0, GRID_CELL - DIGIT + 1, 2)
        paste(canvas, images[index], cx * GRID_CELL + int(shift[0]), cy * GRID_CELL + int(shift[1]))
    return canvas, f"a {NAMES[labels[first]]} {relation} a {NAMES[labels[second]]}"


SCENES = {"count": count_scene, "relation": relation_scene}


def write_parts(out: Path, sizes: dict[str, int], seed: int, example) -> Path:
    """For each part of ``sizes`` (train, valid, test: how many examples), ``example(name, rng,
    images, labels, pool)`` writes one example (a file named ``name`` without its suffix, under
    ``out``) from the digits ``pool`` of that part and gives its label; ``out/PART.tsv`` lists
    ``NAME<TAB>LABEL``.  The digits are split 80/10/10 (seed 0) before composing.  Skipped where
    the TSV files are all there."""
    from rnnkit.data import split_indices
    from rnnkit.files import write_atomic

    if all((out / f"{part}.tsv").is_file() for part in sizes):
        return out
    images, labels = digits()
    pools = dict(zip(("train", "valid", "test"), split_indices(len(labels), (0.8, 0.1, 0.1), seed=0)))
    out.mkdir(parents=True, exist_ok=True)
    for part, count in sizes.items():
        rng = np.random.default_rng([seed, ("train", "valid", "test").index(part)])
        lines = []
        for k in range(count):
            name = f"{part}-{k:05d}"
            lines.append(f"{example(name, rng, images, labels, pools[part])}\n")
        write_atomic(out / f"{part}.tsv", "".join(lines))
    return out


def write(out: Path, variant: str, sizes: dict[str, int], seed: int = 0, **scene) -> Path:
    """Write the variant's images (``images/NAME.png``) and caption files into ``out``; ``scene``:
    the count variant's ``canvas`` and ``most``."""
    (out / "images").mkdir(parents=True, exist_ok=True)

    def example(name, rng, images, labels, pool):
        canvas, caption = SCENES[variant](rng, images, labels, pool, **scene)
        Image.fromarray(canvas).save(out / "images" / f"{name}.png")
        return f"{name}.png\t{caption}"

    return write_parts(out, sizes, seed, example)


def main(argv=None) -> int:
    parser = generator_parser(__doc__, "canvases", {"train": 12000, "valid": 500, "test": 1000})
    parser.add_argument("--variant", choices=tuple(SCENES), default="count")
    parser.add_argument("--canvas", default="136x44", help="count: the canvas, WIDTHxHEIGHT (default 136x44)")
    parser.add_argument("--most", type=int, default=4, help="count: the most digits a canvas (default 4)")
    args = parser.parse_args(argv)
    scene = {}
    if args.variant == "count":
        width, _, height = args.canvas.partition("x")
        scene = {"canvas": (int(width), int(height)), "most": args.most}
    write(args.out, args.variant, part_sizes(args), args.seed, **scene)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
