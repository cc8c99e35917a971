"""Image captioning on canvases of real handwritten digits, against a non-recurrent baseline.

    python benchmarks/caption.py [VARIANT ...] [--fresh] [--exploratory]

Variants (default: both; each result is recorded as it comes, so a rerun resumes): ``count``
(1 to 4 digits captioned left to right) and ``relation`` ("a seven above a two"), written by
``benchmarks/caption_data.py`` into benchmarks/results/caption_data/ (train / valid / test canvases
from disjoint digits: test digits were never seen in training).  rnnkit runs ``rnnkit train
caption`` with CONFIG and is scored with ``rnnkit evaluate`` (beam 5): BLEU-4 and exact match on
the test canvases, and the training time.  Baseline, in this script: the same CNN, told how many
digits there are, classifying each digit slot (and the relation, for ``relation``), trained for
the same number of epochs.  Results: benchmarks/results/caption.json.
"""
from __future__ import annotations

import argparse
import sys
import time

import torch
from torch import nn

import caption_data
from common import HERE, Results, evaluate_with, open_results, results_options, train

SEED = 0                 # of the rnnkit runs and the baseline's weights
VARIANTS = ("count", "relation")
CONFIG = {"count": ["--image-size", "136x44", "--cnn-channels", "16,32,64", "--attention", "general", "--coverage", "1",
                    "--hidden", "256", "--embedding", "64", "--batch-size", "32", "--lr", "0.002", "--dropout", "0.2",
                    "--elastic", "1", "--epochs", "14", "--max-time", "840"],
          "relation": ["--image-size", "64", "--cnn-channels", "16,32,64", "--attention", "general",
                       "--hidden", "256", "--embedding", "64", "--batch-size", "32", "--lr", "0.002",
                       "--dropout", "0.2", "--epochs", "14", "--max-time", "840"]}
SIZES = {"train": 12000, "valid": 500, "test": 1000}
RELATIONS = ("above", "left of")


def slots(caption: str, variant: str) -> list[int]:
    """The baseline's targets: the digits of a caption (and, for ``relation``, the relation
    between them, as 10 + its index)."""
    words = caption.split()
    if variant == "count":
        return [caption_data.NAMES.index(w) for w in words]
    first, second = caption_data.NAMES.index(words[1]), caption_data.NAMES.index(words[-1])
    return [first, 10 + RELATIONS.index(" ".join(words[2:-2])), second]


def words(slot_ids: list[int], variant: str) -> str:
    if variant == "count":
        return " ".join(caption_data.NAMES[k] for k in slot_ids)
    first, relation, second = slot_ids
    return f"a {caption_data.NAMES[first]} {RELATIONS[relation - 10]} a {caption_data.NAMES[second]}"


class SlotClassifier(nn.Module):
    """The CNN of the captioner, then one 12-way classifier per slot (10 digits, 2 relations); the
    captioner's elastic distortion of the training images where its CONFIG has one."""

    def __init__(self, size: tuple[int, int], channels: tuple[int, ...], slots: int, elastic: tuple[float, float]):
        super().__init__()
        from rnnkit.layers.distortion import ElasticDistortion
        from rnnkit.layers.images import ImageEncoder

        self.cnn = ImageEncoder(1, size[1], size[0], channels)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.cnn.vector_size, 256), nn.ReLU(),
                                  nn.Linear(256, slots * 12))
        self.slots = slots
        self.distort = ElasticDistortion(*elastic)

    def forward(self, images):
        vector, _ = self.cnn(self.distort(images.float() / 255.0))
        return self.head(vector).view(len(images), self.slots, 12)


def setting(config: list[str], name: str, default: str | None = None) -> str | None:
    """The value of option ``name`` in a CONFIG list, or ``default`` where it is not there."""
    return config[config.index(name) + 1] if name in config else default


def read(folder, path, variant):
    from rnnkit.data.images import read_captions
    from rnnkit.tasks.captioning.images import read_images

    data = read_captions(path, folder)
    return read_images(folder, data.images), [slots(refs[0], variant) for refs in data.captions], data.captions


def baseline(variant: str, data_dir, epochs: int, config: list[str] | None = None, test: str = "test") -> dict:
    """Train the slot classifier on the training part with the image size, CNN and distortion of
    ``config`` (default: the variant's CONFIG) and score it on the ``test`` part, told the number
    of slots of each canvas."""
    from rnnkit.data.images import ImageFolder, parse_size
    from rnnkit.tasks.captioning.metrics import caption_metrics

    config = config or CONFIG[variant]
    size = parse_size(setting(config, "--image-size"))
    channels = tuple(int(c) for c in setting(config, "--cnn-channels").split(","))
    folder = ImageFolder(data_dir / "images", size, 1)
    train_x, train_slots, _ = read(folder, data_dir / "train.tsv", variant)
    test_x, test_slots, test_refs = read(folder, data_dir / f"{test}.tsv", variant)
    most = max(len(s) for s in train_slots)
    torch.manual_seed(SEED)
    elastic = (float(setting(config, "--elastic", "0")), float(setting(config, "--elastic-sigma", "4")))
    model = SlotClassifier(size, channels, most, elastic)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.002)
    target = torch.tensor([s + [-100] * (most - len(s)) for s in train_slots])   # -100: no digit in that slot
    start = time.monotonic()
    for epoch in range(epochs):
        model.train()
        for batch in torch.randperm(len(train_x)).split(32):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(train_x[batch]).flatten(0, 1), target[batch].flatten())
            loss.backward()
            optimizer.step()
        print(f"baseline {variant}: epoch {epoch + 1}/{epochs}, loss {float(loss.detach()):.4f}", file=sys.stderr,
              flush=True)
    seconds = time.monotonic() - start
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x) for x in test_x.split(256)])
    hypotheses = []
    for row, truth in zip(logits, test_slots):
        picked = [int(row[k, 10:12].argmax()) + 10 if variant == "relation" and k == 1 else int(row[k, :10].argmax())
                  for k in range(len(truth))]
        hypotheses.append(words(picked, variant))
    return {**caption_metrics(hypotheses, test_refs), "train_seconds": round(seconds, 1)}


def variant_results(results: Results, variant: str) -> None:
    data_dir = caption_data.write(HERE / "results" / "caption_data" / variant, variant, SIZES)
    key = f"{variant}/rnnkit"
    if key not in results:
        run, seconds = train("caption", f"caption_{variant}",
                             ["--images", str(data_dir / "images"), "--captions", str(data_dir / "train.tsv"),
                              "--valid-captions", str(data_dir / "valid.tsv"), *CONFIG[variant], "--seed", str(SEED)])
        metrics = evaluate_with(run, ["--images", str(data_dir / "images"), "--captions", str(data_dir / "test.tsv"),
                                      "--beam", "5"])
        results.record(key, {"bleu": metrics["bleu"], "exact": metrics["exact"], "train_seconds": round(seconds, 1)},
                       seeds=[SEED])
    if f"{variant}/baseline" not in results:
        results.record(f"{variant}/baseline", baseline(variant, data_dir, int(setting(CONFIG[variant], "--epochs"))),
                       seeds=[SEED])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="*", metavar="VARIANT", help=f"of {', '.join(VARIANTS)}")
    results_options(parser)
    args = parser.parse_args(argv)
    if set(args.variants) - set(VARIANTS):
        parser.error(f"unknown variant(s) {sorted(set(args.variants) - set(VARIANTS))}; choose from {VARIANTS}")
    results = open_results("caption", args)
    for variant in args.variants or VARIANTS:
        variant_results(results, variant)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
