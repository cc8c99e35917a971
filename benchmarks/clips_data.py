"""Motion clips from real handwritten digits, in the generic format of ``rnnkit train classify --clips``.

    python benchmarks/clips_data.py OUT_DIR [--train N] [--valid N] [--test N] [--frames T]

The 8,000 MNIST digits of ``../shared/data/mnist`` are split into train / valid / test digits
(80/10/10, seed 0) *before* composing, so that test clips hold digits never seen in training.
Each clip is 64 x 64 pixels, ``--frames`` frames (default 16), with one or two digits (their
20 x 20 core) moving the same way at 1 to 3 pixels a frame, labelled by the motion:

- ``left``, ``right``, ``up``, ``down``: a straight line;
- ``bouncing``: a diagonal line that reflects off the walls (at least once);
- ``zigzag``: a straight line along one axis while the other axis turns back every 3 to 5 frames.

Every digit is at a uniformly drawn place at the middle frame, whatever its motion: a single
frame shows digits somewhere, never which way they move; the mean frame shows the path, not its
direction.  OUT_DIR receives ``NAME.npy`` clips (``uint8 [frames, 64, 64]``) and
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

SIZE, CORE = 64, 20
ROOM = SIZE - CORE                  # positions 0..ROOM keep a digit whole in the frame
MOTIONS = ("left", "right", "up", "down", "bouncing", "zigzag")
STRAIGHT = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def paste(frame: np.ndarray, digit: np.ndarray, x: float, y: float) -> None:
    """Draw ``digit`` with its top left at ``(x, y)`` (rounded), cut where it leaves the frame."""
    x, y = int(round(x)), int(round(y))
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + CORE, SIZE), min(y + CORE, SIZE)
    if x0 < x1 and y0 < y1:
        region = frame[y0:y1, x0:x1]
        np.maximum(region, digit[y0 - y : y1 - y, x0 - x : x1 - x], out=region)


def path(motion: str, rng, frames: int) -> np.ndarray:
    """``[frames, 2]`` top-left positions of one digit moving as ``motion`` says.  Every motion
    passes, at the middle frame, through a position drawn uniformly over the frame, so that where
    a digit is says nothing of how it moves; a straight line may leave the frame near its ends."""
    speed = int(rng.integers(1, 4))
    middle, centre = frames // 2, rng.uniform(0, ROOM, 2)
    if motion in STRAIGHT:
        velocity = speed * np.array(STRAIGHT[motion], float)
        return np.array([centre + velocity * (t - middle) for t in range(frames)])
    if motion == "bouncing":
        while True:                 # until the walls turn it back at least once
            velocity = rng.integers(1, 4, 2) * rng.choice([-1.0, 1.0], 2)
            later, bounced_later = reflected(centre, velocity, frames - middle)
            earlier, bounced_earlier = reflected(centre, -velocity, middle + 1)
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


def reflected(position: np.ndarray, velocity: np.ndarray, steps: int) -> tuple[np.ndarray, bool]:
    """``steps`` positions from ``position`` moving at ``velocity``, turned back by the walls, and
    whether a wall turned it."""
    position, velocity, points, bounced = position.copy(), velocity.copy(), [], False
    for _ in range(steps):
        points.append(position.copy())
        position += velocity
        for axis in (0, 1):
            if not 0 <= position[axis] <= ROOM:
                position[axis] = -position[axis] if position[axis] < 0 else 2 * ROOM - position[axis]
                velocity[axis] = -velocity[axis]
                bounced = True
    return np.array(points), bounced


def clip(motion: str, rng, images, pool, frames: int) -> np.ndarray:
    video = np.zeros((frames, SIZE, SIZE), np.uint8)
    for index in rng.choice(pool, int(rng.integers(1, 3)), replace=False):
        digit = images[index][4:24, 4:24]
        for t, (x, y) in enumerate(path(motion, rng, frames)):
            paste(video[t], digit, x, y)
    return video


def write(out: Path, sizes: dict[str, int], frames: int = 16, seed: int = 0) -> Path:
    """Write the clips (``NAME.npy``) and label files into ``out``; the motions take turns."""
    def example(name, rng, images, labels, pool):
        motion = MOTIONS[int(name.rsplit("-", 1)[1]) % len(MOTIONS)]
        np.save(out / f"{name}.npy", clip(motion, rng, images, pool, frames))
        return f"{name}.npy\t{motion}"

    return write_parts(out, sizes, seed, example)


def main(argv=None) -> int:
    parser = generator_parser(__doc__, "clips", {"train": 3000, "valid": 300, "test": 600})
    parser.add_argument("--frames", type=int, default=16, help="frames a clip (default 16)")
    args = parser.parse_args(argv)
    write(args.out, part_sizes(args), args.frames, args.seed)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
