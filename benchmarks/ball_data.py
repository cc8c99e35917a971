"""Clips of a bouncing ball, in the generic format of ``rnnkit train track``.

    python benchmarks/ball_data.py OUT_DIR [--train N] [--valid N] [--test N] [--frames T]

Each clip is 32 x 32 pixels and ``--frames`` frames (default 20): a ball of radius 3 falls under
gravity (0.3 pixels per frame squared, y down) and bounces off the four walls, losing a tenth
of its speed across the wall at each bounce (restitution 0.9), from a random place and a random
velocity (each component uniform in [-3, 3] pixels a frame).  The ball is drawn anti-aliased
(each pixel as bright as the share of it the disc covers, near enough), so its position is
visible to a fraction of a pixel.  OUT_DIR receives ``NAME.npy`` clips (``uint8 [frames, 32,
32]``), ``train.csv``, ``valid.csv``, ``test.csv`` (``clip,frame,x,y``: the ball's centre in
pixels, numpy's column and row) and ``bounces.csv`` (``clip,frame``: the frames reached through
a wall).  The same arguments write the same files.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import generator_parser, part_sizes  # noqa: E402

SIZE, RADIUS, GRAVITY, RESTITUTION, SPEED = 32, 3.0, 0.3, 0.9, 3.0
LOW, HIGH = RADIUS, SIZE - 1 - RADIUS      # where the centre may be with the whole ball in the frame


def flight(rng, frames: int) -> tuple[np.ndarray, list[int]]:
    """``[frames, 2]`` centres (x, y) and the frames at which the ball has come off a wall."""
    position, velocity = rng.uniform(LOW, HIGH, 2), rng.uniform(-SPEED, SPEED, 2)
    points, bounces = [position.copy()], []
    for t in range(1, frames):
        velocity[1] += GRAVITY
        position += velocity
        bounced = False
        for axis in (0, 1):
            if position[axis] < LOW or position[axis] > HIGH:
                wall = LOW if position[axis] < LOW else HIGH
                position[axis] = wall + RESTITUTION * (wall - position[axis])
                velocity[axis] *= -RESTITUTION
                bounced = True
        points.append(position.copy())
        if bounced:
            bounces.append(t)
    return np.array(points), bounces


def draw(centres: np.ndarray) -> np.ndarray:
    """``uint8 [frames, SIZE, SIZE]``: a disc of ``RADIUS`` at each centre, with a one-pixel soft edge."""
    rows, columns = np.mgrid[0:SIZE, 0:SIZE]
    distance = np.hypot(columns[None] - centres[:, 0, None, None], rows[None] - centres[:, 1, None, None])
    return np.rint(255 * np.clip(RADIUS + 0.5 - distance, 0, 1)).astype(np.uint8)


def write(out: Path, sizes: dict[str, int], frames: int = 20, seed: int = 0) -> Path:
    """Write the clips and the CSV files into ``out``; skipped where they are all there."""
    from rnnkit.files import write_atomic

    if all((out / f"{part}.csv").is_file() for part in (*sizes, "bounces")):
        return out
    out.mkdir(parents=True, exist_ok=True)
    bounce_lines = ["clip,frame\n"]
    for part, count in sizes.items():
        rng = np.random.default_rng([seed, ("train", "valid", "test").index(part)])
        lines = ["clip,frame,x,y\n"]
        for k in range(count):
            name = f"{part}-{k:05d}.npy"
            centres, bounces = flight(rng, frames)
            np.save(out / name, draw(centres))
            lines += [f"{name},{t},{x:.4f},{y:.4f}\n" for t, (x, y) in enumerate(centres)]
            bounce_lines += [f"{name},{t}\n" for t in bounces]
        write_atomic(out / f"{part}.csv", "".join(lines))
    write_atomic(out / "bounces.csv", "".join(bounce_lines))
    return out


def main(argv=None) -> int:
    parser = generator_parser(__doc__, "clips", {"train": 4000, "valid": 400, "test": 1000})
    parser.add_argument("--frames", type=int, default=20, help="frames a clip (default 20)")
    args = parser.parse_args(argv)
    write(args.out, part_sizes(args), args.frames, args.seed)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
