"""Motion clips from real handwritten digits, in the generic format of ``rnnkit train classify --clips``.

    python benchmarks/clips_data.py OUT_DIR [--train N] [--valid N] [--test N] [--frames T] [--size S]
                                    [--motions six|directions]

The 8,000 MNIST digits of ``../shared/data/mnist`` are split into train / valid / test digits
(80/10/10, seed 0) *before* composing, so that test clips hold digits never seen in training.
Each clip is ``--size`` x ``--size`` pixels (default 64), ``--frames`` frames (default 16), with
one or two digits (their 20 x 20 core) moving the same way, labelled by the motion.
``--motions six`` (the default; 1 to 3 pixels a frame):

- ``left``, ``right``, ``up``, ``down``: a straight line;
- ``bouncing``: a diagonal line that reflects off the walls (at least once);
- ``zigzag``: a straight line along one axis while the other axis turns back every 3 to 5 frames.

``--motions directions``: a straight line in one of 8 directions (``right``, ``up-right``, ``up``,
``up-left``, ``left``, ``down-left``, ``down``, ``down-right``), at 1 or 2 pixels a frame along
each axis it moves on (the speed is not the label).

Every digit is at a uniformly drawn place at the middle frame, whatever its motion: a single
frame shows digits somewhere, never which way they move; the mean frame shows the path, not its
direction.  OUT_DIR receives ``NAME.npy`` clips (``uint8 [frames, size, size]``) and
``train.tsv``, ``valid.tsv``, ``test.tsv`` (``CLIP<TAB>LABEL``).  The same arguments write the same
files.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from caption_data import write_parts  # noqa: E402
from common import generator_parser, part_sizes  # noqa: E402

CORE = 20
STRAIGHT = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
DIAGONAL = {"up-right": (1, -1), "up-left": (-1, -1), "down-left": (-1, 1), "down-right": (1, 1)}
MOTIONS = {"six": ("left", "right", "up", "down", "bouncing", "zigzag"),
           "directions": ("right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right")}
SPEEDS = {"six": (1, 3), "directions": (1, 2)}   # the least and most pixels a frame along each axis moved on


def paste(frame: np.ndarray, digit: np.ndarray, x: float, y: float) -> None:
    """Draw ``digit`` with its top left at ``(x, y)`` (rounded), cut where it leaves the frame."""
    x, y = int(round(x)), int(round(y))
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + CORE, frame.shape[1]), min(y + CORE, frame.shape[0])
    if x0 < x1 and y0 < y1:
        region = frame[y0:y1, x0:x1]
        np.maximum(region, digit[y0 - y : y1 - y, x0 - x : x1 - x], out=region)


def path(motion: str, rng, frames: int, room: int, speeds=SPEEDS["six"]) -> np.ndarray:
    """``[frames, 2]`` top-left positions of one digit moving as ``motion`` says at a speed in ``speeds``
    (positions 0..``room`` keep the digit whole in the frame).  Every motion passes, at the middle
    frame, through a position drawn uniformly over the frame, so that where a digit is says nothing
    of how it moves; a straight line may leave the frame near its ends."""
    speed = int(rng.integers(speeds[0], speeds[1] + 1))
    middle, centre = frames // 2, rng.uniform(0, room, 2)
    if motion in STRAIGHT or motion in DIAGONAL:
        velocity = speed * np.array({**STRAIGHT, **DIAGONAL}[motion], float)
        return np.array([centre + velocity * (t - middle) for t in range(frames)])
    if motion == "bouncing":
        while True:                 # until the walls turn it back at least once
            velocity = rng.integers(1, 4, 2) * rng.choice([-1.0, 1.0], 2)
            later, bounced_later = reflected(centre, velocity, frames - middle, room)
            earlier, bounced_earlier = reflected(centre, -velocity, middle + 1, room)
            if bounced_later or bounced_earlier:
                return np.concatenate([earlier[::-1], later[1:]])
    # zigzag: along one axis at `speed`, the other axis turning back every 3 to 5 frames
    along, direction = int(rng.integers(0, 2)), float(rng.choice([-1, 1]))
    swing, every = int(rng.integers(2, 4)), int(rng.integers(3, 6))
    offsets = np.zeros((frames, 2))
    sign = float(rng.choice([-1, 1]))
    for t in range(1, frames):
        offsets[t, along] = offsets[t - 1, along] + direction * speed
        offsets[t, 1 - along] = offsets[t - 1, 1 - along] + sign * swing
        if t % every == 0:
            sign = -sign
    return centre + offsets - offsets[middle]


def reflected(position: np.ndarray, velocity: np.ndarray, steps: int, room: int) -> tuple[np.ndarray, bool]:
    """``steps`` positions from ``position`` moving at ``velocity``, turned back by the walls, and
    whether a wall turned it."""
    position, velocity, points, bounced = position.copy(), velocity.copy(), [], False
    for _ in range(steps):
        points.append(position.copy())
        position += velocity
        for axis in (0, 1):
            if not 0 <= position[axis] <= room:
                position[axis] = -position[axis] if position[axis] < 0 else 2 * room - position[axis]
                velocity[axis] = -velocity[axis]
                bounced = True
    return np.array(points), bounced


def clip(motion: str, rng, images, pool, frames: int, size: int = 64, speeds=SPEEDS["six"]) -> np.ndarray:
    video = np.zeros((frames, size, size), np.uint8)
    for index in rng.choice(pool, int(rng.integers(1, 3)), replace=False):
        digit = images[index][4:24, 4:24]
        for t, (x, y) in enumerate(path(motion, rng, frames, size - CORE, speeds)):
            paste(video[t], digit, x, y)
    return video


def write(out: Path, sizes: dict[str, int], frames: int = 16, seed: int = 0, size: int = 64,
          motions: str = "six") -> Path:
    """Write the clips (``NAME.npy``) and label files into ``out``; the motions of ``motions`` take turns."""
    def example(name, rng, images, labels, pool):
        motion = MOTIONS[motions][int(name.rsplit("-", 1)[1]) % len(MOTIONS[motions])]
        np.save(out / f"{name}.npy", clip(motion, rng, images, pool, frames, size, SPEEDS[motions]))
        return f"{name}.npy\t{motion}"

    return write_parts(out, sizes, seed, example)


def main(argv=None) -> int:
    parser = generator_parser(__doc__, "clips", {"train": 3000, "valid": 300, "test": 600})
    parser.add_argument("--frames", type=int, default=16, help="frames a clip (default 16)")
    parser.add_argument("--size", type=int, default=64, help=f"frame width and height (default 64, at least {CORE})")
    parser.add_argument("--motions", choices=MOTIONS, default="six", help="the motions (default six)")
    args = parser.parse_args(argv)
    write(args.out, part_sizes(args), args.frames, args.seed, args.size, args.motions)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
