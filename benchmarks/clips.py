"""Classifying motion clips (video as a sequence of frames) against single-image baselines.

    python benchmarks/clips.py [--fresh]

Data: ``benchmarks/clips_data.py`` writes 64 x 64 clips of 16 frames in which one or two MNIST
digits move (left, right, up, down, bouncing, zig-zag; 1-3 pixels a frame) into
benchmarks/results/clips_data/, from disjoint train / valid / test digits.  rnnkit runs
``rnnkit train classify --clips`` with CONFIG (a CNN per frame, a bidirectional GRU over the
frames) and is scored with ``rnnkit evaluate``: test accuracy and training time.  Baselines, in
this script, with the same CNN and as many epochs: a CNN that sees one frame (the middle one) and
a CNN that sees the mean of the frames.  Results: benchmarks/results/clips.json (each result is
recorded as it comes, so a rerun resumes).
"""
from __future__ import annotations

import argparse
import sys
import time

import torch
from torch import nn

import clips_data
from common import HERE, Results, evaluate_with, train

SIZES = {"train": 3000, "valid": 300, "test": 600}
CONFIG = ["--image-size", "32", "--cnn-channels", "16,32,64", "--cell", "gru", "--hidden", "128", "--pooling", "mean",
          "--batch-size", "16", "--lr", "0.002", "--dropout", "0.2", "--epochs", "12", "--max-time", "840"]


def read(data_dir, part: str, labels: list[str] | None = None):
    """The clips of one part at the configuration's frame size, and their label ids."""
    from rnnkit.data.clips import ClipFolder, read_clip_labels
    from rnnkit.data.images import parse_size

    folder = ClipFolder(data_dir, parse_size(CONFIG[CONFIG.index("--image-size") + 1]), 1)
    data = read_clip_labels(data_dir / f"{part}.tsv", folder)
    labels = labels or sorted(set(data.labels))
    return torch.stack([folder.read(n) for n in data.clips]), torch.tensor([labels.index(x) for x in data.labels]), \
        labels


class ImageClassifier(nn.Module):
    def __init__(self, size: int, channels: tuple[int, ...], classes: int):
        super().__init__()
        from rnnkit.layers.images import ImageEncoder

        self.cnn = ImageEncoder(1, size, size, channels)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.cnn.vector_size, 128), nn.ReLU(),
                                  nn.Linear(128, classes))

    def forward(self, images):
        return self.head(self.cnn(images)[0])


def baseline(data_dir, view, epochs: int) -> dict:
    """Train and score a CNN on one image per clip: ``view(clips uint8 [N, T, 1, H, W]) -> [N, 1, H, W]``."""
    train_x, train_y, labels = read(data_dir, "train")
    test_x, test_y, _ = read(data_dir, "test", labels)
    train_x, test_x = view(train_x.float() / 255), view(test_x.float() / 255)
    size = int(CONFIG[CONFIG.index("--image-size") + 1])
    channels = tuple(int(c) for c in CONFIG[CONFIG.index("--cnn-channels") + 1].split(","))
    torch.manual_seed(0)
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="forget recorded results")
    args = parser.parse_args(argv)
    results = Results(HERE / "results" / "clips.json", args.fresh)
    data_dir = clips_data.write(HERE / "results" / "clips_data", SIZES)
    if "motion/rnnkit" not in results:
        run, seconds = train("classify", "clips_motion", ["--clips", str(data_dir), "--labels",
                                                           str(data_dir / "train.tsv"), "--valid-labels",
                                                           str(data_dir / "valid.tsv"), *CONFIG, "--seed", "0"])
        metrics = evaluate_with(run, ["--clips", str(data_dir), "--labels", str(data_dir / "test.tsv")])
        results["motion/rnnkit"] = {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
                                    "train_seconds": round(seconds, 1)}
    epochs = int(CONFIG[CONFIG.index("--epochs") + 1])
    views = {"one frame (the middle one)": lambda clips: clips[:, clips.shape[1] // 2],
             "the mean frame": lambda clips: clips.mean(1)}
    for name, view in views.items():
        if f"motion/baseline/{name}" not in results:
            results[f"motion/baseline/{name}"] = baseline(data_dir, view, epochs)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
