"""Clips and tracks with default options, on shapes the clips benchmark does not use (issue 34).

    python benchmarks/defaults_clips.py [motion] [ball] [--split validation|test] [--seeds 3] [--max-time 600]
                                        [--label L [--options '...']] [--baselines-only] [--skip-baselines]
                                        [--again] [--fresh] [--exploratory]

Data, from the project's generators with the issue's shapes:

- motion: ``clips_data.py --size 40 --frames 16 --motions directions``: one or two MNIST digits
  moving in a straight line in one of 8 directions (diagonals included) at 1 or 2 pixels a frame,
  3,000 training, 300 validation and 600 test clips of 40 x 40; the label is the direction.
- ball: ``ball_data.py --size 48 --radius 4 --gravity 0.2``: 4,000 / 400 / 1,000 clips of 20
  frames of 48 x 48.

rnnkit runs ``rnnkit train classify --clips DIR --labels train.tsv`` and ``rnnkit train track
--clips DIR --positions train.csv`` with ``--seed`` and ``--max-time`` only (the run holds out its
own tenth of the training clips to validate on), once per seed, scored by ``rnnkit evaluate
--json`` on the split's part: ``--split validation`` scores the generator's validation part (for
choosing defaults), ``--split test`` its test part.  Baselines in the same script: for motion, the
CNN of ``clips.py`` trained on one image a clip (the middle frame; the mean of the frames) at the
same frame size, 12 epochs; for the ball, the constant-velocity and last-position forecasts from
the true positions, which ``rnnkit evaluate`` reports beside the model.  Results:
``benchmarks/results/defaults.json`` (entries ``SPLIT/clips/motion/...``, ``SPLIT/clips/ball/...``).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import ball_data
import clips_data
from common import HERE, defaults_arguments, defaults_runs, evaluate_with, open_results, train

DATA = HERE / "results" / "defaults_data"
SUITES = {"motion": {"train": 3000, "valid": 300, "test": 600}, "ball": {"train": 4000, "valid": 400, "test": 1000}}
MOTION = {"frames": 16, "size": 40, "motions": "directions"}
BALL = ball_data.Scene(size=48, radius=4.0, gravity=0.2)
BASELINE_EPOCHS = 12
METRICS = {"motion": ("accuracy", "macro_f1"), "ball": ("error", "error_last", "constant_velocity", "last_position")}


def data_dir(suite: str) -> Path:
    if suite == "motion":
        return clips_data.write(DATA / "motion40", SUITES[suite], **MOTION)
    return ball_data.write(DATA / "ball48", SUITES[suite], scene=BALL)


def part(split: str) -> str:
    return "valid" if split == "validation" else "test"


def scoring_args(suite: str, folder: Path, split: str) -> list[str]:
    if suite == "motion":
        return ["--clips", str(folder), "--labels", str(folder / f"{part(split)}.tsv")]
    return ["--clips", str(folder), "--positions", str(folder / f"{part(split)}.csv")]


def training_args(suite: str, folder: Path) -> list[str]:
    if suite == "motion":
        return ["classify", "--clips", str(folder), "--labels", str(folder / "train.tsv")]
    return ["track", "--clips", str(folder), "--positions", str(folder / "train.csv")]


def rnnkit_run(suite: str, folder: Path, split: str, name: str, seed: int, max_time: int, options: list[str]) -> dict:
    task, *data = training_args(suite, folder)
    start = time.monotonic()
    run, _ = train(task, name, [*data, "--seed", str(seed), "--max-time", str(max_time), *options])
    seconds = time.monotonic() - start
    scored = evaluate_with(run, scoring_args(suite, folder, split))
    config = json.loads((run / "config.json").read_text())
    return {**{k: scored[k] for k in METRICS[suite]}, "train_seconds": round(seconds, 1), "model": config["model"],
            "data": {k: v for k, v in config["data"].items() if k != "labels"}, "options": " ".join(options)}


def motion_baselines(folder: Path, split: str) -> dict:
    """The single-image CNNs of ``clips.py`` at the frame size the defaults read these clips at."""
    from clips import baseline

    from rnnkit.data.clips import ClipFolder
    from rnnkit.data.images import native_size

    probe = ClipFolder(folder, (1, 1), 1)
    size = native_size([probe.original_size("train-00000.npy")], least=8)
    views = {"one frame (the middle one)": lambda clips: clips[:, clips.shape[1] // 2],
             "the mean frame": lambda clips: clips.mean(1)}
    return {name: baseline(folder, view, BASELINE_EPOCHS, size=size, test=part(split))["accuracy"]
            for name, view in views.items()} | {"epochs": BASELINE_EPOCHS, "image_size": list(size)}


def main(argv=None) -> int:
    args = defaults_arguments(__doc__, SUITES, "suite", "classify or track", argv)
    results = open_results("defaults", args)
    for suite in args.names or SUITES:
        key = f"{args.split}/clips/{suite}"
        folder = data_dir(suite)
        if suite == "motion" and f"{key}/baselines" not in results and not args.skip_baselines:
            results.record(f"{key}/baselines", motion_baselines(folder, args.split))
            print(key, results[f"{key}/baselines"], file=sys.stderr)
        if args.baselines_only:
            continue
        defaults_runs(results, args, key, suite, lambda seed, name: rnnkit_run(
            suite, folder, args.split, name, seed, args.max_time, args.options.split()), METRICS[suite])
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
