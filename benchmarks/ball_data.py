"""Clips of a bouncing ball, in the generic format of ``rnnkit train track``.

    python benchmarks/ball_data.py OUT_DIR [--train N] [--valid N] [--test N] [--frames T] [--size S]
                                   [--gravity G] [--radius R]

Each clip is ``--size`` x ``--size`` pixels (default 32) and ``--frames`` frames (default 20): a
ball of ``--radius`` (default 3) falls under ``--gravity`` (default 0.3 pixels per frame squared,
y down) and bounces off the four walls, losing a tenth
of its speed across the wall at each bounce (restitution 0.9), from a random place and a random
velocity (each component uniform in [-3, 3] pixels a frame).  The ball is drawn anti-aliased
(each pixel as bright as the share of it the disc covers, near enough), so its position is
visible to a fraction of a pixel.  OUT_DIR receives ``NAME.npy`` clips (``uint8 [frames, size,
size]``), ``train.csv``, ``valid.csv``, ``test.csv`` (``clip,frame,x,y``: the ball's centre in
pixels, numpy's column and row) and ``bounces.csv`` (``clip,frame``: the frames reached through
a wall).  The same arguments write the same files.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import generator_parser, part_sizes  # noqa: E402

RESTITUTION, SPEED = 0.9, 3.0


@dataclass(frozen=True)
class Scene:
    """The frame's width and height, the ball's radius and the gravity (pixels a frame squared)."""
    size: int = 32
    radius: float = 3.0
    gravity: float = 0.3

    @property
    def bounds(self) -> tuple[float, float]:
        """Where the centre may be with the whole ball in the frame."""
        return self.radius, self.size - 1 - self.radius


def flight(rng, frames: int, scene: Scene = Scene()) -> tuple[np.ndarray, list[int]]:
    """``[frames, 2]`` centres (x, y) and the frames at which the ball has come off a wall."""
    low, high = scene.bounds
    position, velocity = rng.uniform(low, high, 2), rng.uniform(-SPEED, SPEED, 2)
    points, bounces = [position.copy()], []
    for t in range(1, frames):
        velocity[1] += scene.gravity
        position += velocity
        bounced = False
        for axis in (0, 1):
            if position[axis] < low or position[axis] > high:
                wall = low if position[axis] < low else high
                position[axis] = wall + RESTITUTION * (wall - position[axis])
                velocity[axis] *= -RESTITUTION
                bounced = True
        points.append(position.copy())
        if bounced:
            bounces.append(t)
    return np.array(points), bounces


def draw(centres: np.ndarray, scene: Scene = Scene()) -> np.ndarray:
    """``uint8 [frames, size, size]``: a disc of the radius at each centre, with a one-pixel soft edge."""
    rows, columns = np.mgrid[0 : scene.size, 0 : scene.size]
    distance = np.hypot(columns[None] - centres[:, 0, None, None], rows[None] - centres[:, 1, None, None])
    return np.rint(255 * np.clip(scene.radius + 0.5 - distance, 0, 1)).astype(np.uint8)


def write(out: Path, sizes: dict[str, int], frames: int = 20, seed: int = 0, scene: Scene = Scene()) -> Path:
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
            centres, bounces = flight(rng, frames, scene)
            np.save(out / name, draw(centres, scene))
            lines += [f"{name},{t},{x:.4f},{y:.4f}\n" for t, (x, y) in enumerate(centres)]
            bounce_lines += [f"{name},{t}\n" for t in bounces]
        write_atomic(out / f"{part}.csv", "".join(lines))
    write_atomic(out / "bounces.csv", "".join(bounce_lines))
    return out


def main(argv=None) -> int:
    parser = generator_parser(__doc__, "clips", {"train": 4000, "valid": 400, "test": 1000})
    parser.add_argument("--frames", type=int, default=20, help="frames a clip (default 20)")
    parser.add_argument("--size", type=int, default=32, help="frame width and height (default 32)")
    parser.add_argument("--radius", type=float, default=3.0, help="the ball's radius in pixels (default 3)")
    parser.add_argument("--gravity", type=float, default=0.3, help="pixels a frame squared, down (default 0.3)")
    args = parser.parse_args(argv)
    write(args.out, part_sizes(args), args.frames, args.seed, Scene(args.size, args.radius, args.gravity))
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
