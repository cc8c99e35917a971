"""Captions with default options, on canvases the captioning benchmark does not use (issue 34).

    python benchmarks/defaults_captions.py [--split validation|test] [--seeds 3] [--max-time 600]
                                           [--label L [--options '...']] [--baselines-only] [--skip-baselines]
                                           [--again] [--fresh] [--exploratory]

Data: ``caption_data.py --canvas 160x48 --most 5``: canvases of 160 x 48 holding 1 to 5 MNIST
digits, captioned left to right, 12,000 training, 500 validation and 1,000 test canvases (from
disjoint digits).  rnnkit runs ``rnnkit train caption --images DIR --captions train.tsv`` with
``--seed`` and ``--max-time`` only (the run holds out its own tenth of the training images to
validate on), once per seed, scored by ``rnnkit evaluate --json`` (greedy, its default) on the
split's part: ``--split validation`` the generator's validation part, ``--split test`` its test
part.  Baseline in the same script: the slot CNN of ``caption.py`` (the captioner's CNN, told how
many digits a canvas holds, classifying each slot) at the same image size, ``BASELINE_EPOCHS``
epochs.  Results: ``benchmarks/results/defaults.json`` (entries ``SPLIT/captions/count5/...``).
"""
from __future__ import annotations

import json
import sys

import caption_data
from common import HERE, defaults_arguments, defaults_runs, evaluate_with, open_results, train

SUITES = {"count5": {"train": 12000, "valid": 500, "test": 1000}}
CANVAS, MOST = (160, 48), 5
BASELINE_EPOCHS = 8
METRICS = ("exact", "bleu")


def part(split: str) -> str:
    return "valid" if split == "validation" else "test"


def rnnkit_run(folder, split: str, name: str, seed: int, max_time: int, options: list[str]) -> dict:
    run, seconds = train("caption", name, ["--images", str(folder / "images"), "--captions", str(folder / "train.tsv"),
                                           "--seed", str(seed), "--max-time", str(max_time), *options])
    scored = evaluate_with(run, ["--images", str(folder / "images"), "--captions", str(folder / f"{part(split)}.tsv")])
    config = json.loads((run / "config.json").read_text())
    return {**{k: scored[k] for k in METRICS}, "train_seconds": round(seconds, 1), "model": config["model"],
            "data": config["data"], "options": " ".join(options)}


def main(argv=None) -> int:
    from caption import baseline

    args = defaults_arguments(__doc__, SUITES, "suite", "caption", argv)
    results = open_results("defaults", args)
    for suite in args.names or SUITES:
        key = f"{args.split}/captions/{suite}"
        folder = caption_data.write(HERE / "results" / "defaults_data" / suite, "count", SUITES[suite], canvas=CANVAS,
                                    most=MOST)
        if f"{key}/baselines" not in results and not args.skip_baselines:
            config = ["--image-size", f"{CANVAS[0]}x{CANVAS[1]}", "--cnn-channels", "16,32,64"]
            slot = baseline("count", folder, BASELINE_EPOCHS, config, test=part(args.split))
            results.record(f"{key}/baselines", {"slot CNN": {k: slot[k] for k in (*METRICS, "train_seconds")},
                                                "epochs": BASELINE_EPOCHS})
            print(key, results[f"{key}/baselines"], file=sys.stderr)
        if args.baselines_only:
            continue
        defaults_runs(results, args, key, suite, lambda seed, name: rnnkit_run(
            folder, args.split, name, seed, args.max_time, args.options.split()), METRICS)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
