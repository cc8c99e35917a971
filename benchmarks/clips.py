"""Video as a sequence of frames: classifying motion clips against single-image baselines, and
predicting where a bouncing ball goes next against the physics of the last two positions.

    python benchmarks/clips.py [--fresh] [--exploratory] [--only motion|ball]

Data: ``benchmarks/clips_data.py`` writes 64 x 64 clips of 16 frames in which one or two MNIST
digits move (left, right, up, down, bouncing, zig-zag; 1-3 pixels a frame) into
benchmarks/results/clips_data/, from disjoint train / valid / test digits.  rnnkit runs
``rnnkit train classify --clips`` with CONFIG (a CNN per frame reading the frame and its
difference from the one before, a bidirectional GRU over the frames) and is scored with ``rnnkit evaluate``: test accuracy and training time.  Baselines, in
this script, with the same CNN and as many epochs: a CNN that sees one frame (the middle one) and
a CNN that sees the mean of the frames.

Ball: ``benchmarks/ball_data.py`` writes 32 x 32 clips of 20 frames of a ball under gravity
bouncing off the walls into benchmarks/results/ball_data/.  rnnkit runs ``rnnkit train track``
with BALL and is scored, with the code of ``rnnkit evaluate``, on the mean error of the next 5
positions over every test window (every frame t with t-1 and t+1..t+5 in the clip), and over the
windows whose next 5 frames hold a bounce; baselines: the last position, and constant velocity
from the last two positions.  Results: benchmarks/results/clips.json (each result is recorded as
it comes, so a rerun resumes).
"""
from __future__ import annotations

import argparse
import sys
import time

import torch
from torch import nn

import ball_data
import clips_data
from common import HERE, Results, evaluate_with, open_results, results_options, train

SEED = 0                 # of the rnnkit runs and the baselines' weights
SIZES = {"train": 3000, "valid": 300, "test": 600}
CONFIG = ["--image-size", "32", "--cnn-channels", "16,32,64", "--cell", "gru", "--hidden", "128", "--pooling", "mean",
          "--deltas", "--batch-size", "16", "--lr", "0.002", "--dropout", "0.2", "--epochs", "12", "--max-time", "840"]
BALL_SIZES = {"train": 4000, "valid": 400, "test": 1000}
BALL = ["--image-size", "32", "--cnn-channels", "16,32,64", "--horizon", "5", "--hidden", "128", "--batch-size", "16",
        "--lr", "0.002", "--epochs", "15", "--max-time", "840"]


def read(data_dir, part: str, labels: list[str] | None = None, size: tuple[int, int] = (32, 32)):
    """The clips of one part at ``size`` (CONFIG's frame size), and their label ids."""
    from rnnkit.data.clips import ClipFolder, read_clip_labels

    folder = ClipFolder(data_dir, size, 1)
    data = read_clip_labels(data_dir / f"{part}.tsv", folder)
    labels = labels or sorted(set(data.labels))
    return torch.stack([folder.read(n) for n in data.clips]), torch.tensor([labels.index(x) for x in data.labels]), \
        labels


class ImageClassifier(nn.Module):
    def __init__(self, size: tuple[int, int], channels: tuple[int, ...], classes: int):
        super().__init__()
        from rnnkit.layers.images import ImageEncoder

        self.cnn = ImageEncoder(1, size[1], size[0], channels)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.cnn.vector_size, 128), nn.ReLU(),
                                  nn.Linear(128, classes))

    def forward(self, images):
        return self.head(self.cnn(images)[0])


def baseline(data_dir, view, epochs: int, size: tuple[int, int] = (32, 32), channels=(16, 32, 64),
             test: str = "test") -> dict:
    """Train a CNN (``channels``, frames at ``size``: CONFIG's) on one image per clip of the training
    part, ``view(clips uint8 [N, T, 1, H, W]) -> [N, 1, H, W]``, and score it on the ``test`` part."""
    train_x, train_y, labels = read(data_dir, "train", size=size)
    test_x, test_y, _ = read(data_dir, test, labels, size=size)
    train_x, test_x = view(train_x.float() / 255), view(test_x.float() / 255)
    torch.manual_seed(SEED)
    model = ImageClassifier(size, channels, len(labels))
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.002)
    start = time.monotonic()
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(train_x)).split(32):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
            optimizer.step()
    seconds = time.monotonic() - start
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(x).argmax(-1) for x in test_x.split(256)])
    return {"accuracy": float((predicted == test_y).float().mean()), "train_seconds": round(seconds, 1)}


def motion(results: Results) -> None:
    data_dir = clips_data.write(HERE / "results" / "clips_data", SIZES)
    if "motion/rnnkit" not in results:
        run, seconds = train("classify", "clips_motion", ["--clips", str(data_dir), "--labels",
                                                           str(data_dir / "train.tsv"), "--valid-labels",
                                                           str(data_dir / "valid.tsv"), *CONFIG, "--seed", str(SEED)])
        metrics = evaluate_with(run, ["--clips", str(data_dir), "--labels", str(data_dir / "test.tsv")])
        results.record("motion/rnnkit", {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
                                         "train_seconds": round(seconds, 1)}, seeds=[SEED])
    epochs = int(CONFIG[CONFIG.index("--epochs") + 1])
    views = {"one frame (the middle one)": lambda clips: clips[:, clips.shape[1] // 2],
             "the mean frame": lambda clips: clips.mean(1)}
    for name, view in views.items():
        if f"motion/baseline/{name}" not in results:
            results.record(f"motion/baseline/{name}", baseline(data_dir, view, epochs), seeds=[SEED])


def ball(results: Results) -> None:
    """The trajectory predictor and both baselines on every test window and on the bouncing ones."""
    import rnnkit
    from rnnkit.data.clips import ClipFolder
    from rnnkit.data.positions import read_positions
    from rnnkit.tasks.tracking.tracks import Tracks, score
    from rnnkit.tasks.tracking.metrics import trajectory_metrics

    data_dir = ball_data.write(HERE / "results" / "ball_data", BALL_SIZES)
    if "ball/rnnkit" in results:
        return
    run, seconds = train("track", "clips_ball", ["--clips", str(data_dir), "--positions", str(data_dir / "train.csv"),
                                                 "--valid-positions", str(data_dir / "valid.csv"), *BALL, "--seed",
                                                 str(SEED)])
    model = rnnkit.load(run, "cpu")
    folder = ClipFolder(data_dir, tuple(model.config["image_size"]), model.config["image_channels"])
    positions = read_positions(data_dir / "test.csv", folder)
    errors = score(model, Tracks(folder, positions, positions.clips))
    bounces = {}
    for line in (data_dir / "bounces.csv").read_text().splitlines()[1:]:
        clip, frame = line.split(",")
        bounces.setdefault(clip, set()).add(int(frame))
    horizon = model.horizon
    bouncing = torch.tensor([bool(bounces.get(positions.clips[int(c)], set()) & set(range(t + 1, t + horizon + 1)))
                             for c, t in zip(errors.clip, errors.frame)])
    for name, part in (("all windows", errors), ("bouncing windows", errors.subset(bouncing))):
        metrics = trajectory_metrics(part)
        error, velocity = metrics["error"], metrics["constant_velocity"]
        results.record(f"ball/{name}", {
            "rnnkit": round(error, 3), "rnnkit_step5": round(metrics["error_last"], 3),
            "constant_velocity": round(velocity, 3), "last_position": round(metrics["last_position"], 3),
            "windows": metrics["windows"], "ratio_to_constant_velocity": round(error / velocity, 3)}, seeds=[SEED])
    results.record("ball/rnnkit", {"train_seconds": round(seconds, 1), "epochs": BALL[BALL.index("--epochs") + 1]},
                   seeds=[SEED])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    results_options(parser)
    parser.add_argument("--only", choices=("motion", "ball"), help="run one part (default: both)")
    args = parser.parse_args(argv)
    results = open_results("clips", args)
    if args.only in (None, "motion"):
        motion(results)
    if args.only in (None, "ball"):
        ball(results)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
