"""Melodies with default options: Essen folk songs of one collection learnt, another's scored (issue 34).

    python benchmarks/defaults_melody.py [--split validation|test] [--seeds 3] [--max-time 600]
                                         [--label L [--options '...']] [--baselines-only] [--skip-baselines]
                                         [--again] [--fresh] [--exploratory]

Data: the ``erk*`` collections of the Essen folk songs that ship with music21 (``erk5``, ``erk10``,
``erk20``, ``erk30``: 1,781 tunes) and the ``boehme10`` and ``boehme20`` collections (719 tunes).
``--split test`` trains on every ``erk`` collection and scores ``boehme10`` and ``boehme20``;
``--split validation`` trains on ``erk5``, ``erk10`` and ``erk20`` and scores ``erk30``, so that a
default is chosen, like the test, on a collection the run never read.  rnnkit runs ``rnnkit train
melody --music FILES`` on the ABC files as they are, with ``--seed`` and ``--max-time`` only (the
run holds out its own tenth of the tunes to validate on), once per seed, scored by ``rnnkit
evaluate --music FILES --json``: pitch, duration and joint bits per note.  Baselines in the same
script: interpolated add-0.1 n-gram models of the pitches (orders 1 to 4, ``melody.NGram``),
fitted on the same training tunes, transposed by their key signature as the melody model reads
them.  Results: ``benchmarks/results/defaults.json`` (entries ``SPLIT/melody/essen/...``).
"""
from __future__ import annotations

import json
import sys

from common import defaults_arguments, defaults_runs, evaluate_with, open_results, train

SPLITS = {"validation": (("erk5", "erk10", "erk20"), ("erk30",)),
          "test": (("erk5", "erk10", "erk20", "erk30"), ("boehme10", "boehme20"))}
SUITES = ("essen",)
ORDERS = (1, 2, 3, 4)
METRICS = ("pitch_bits", "duration_bits", "joint_bits")


def files(names) -> list[str]:
    from melody import corpus
    return [str(corpus() / f"{name}.abc") for name in names]


def rnnkit_run(split: str, name: str, seed: int, max_time: int, options: list[str]) -> dict:
    learnt, scored = SPLITS[split]
    run, seconds = train("melody", name, ["--music", *files(learnt), "--seed", str(seed), "--max-time", str(max_time),
                                          *options])
    m = evaluate_with(run, ["--music", *files(scored)])
    config = json.loads((run / "config.json").read_text())
    return {**{k: m[k] for k in (*METRICS, "notes")}, "train_seconds": round(seconds, 1), "model": config["model"],
            "data": config["data"], "args": config["args"], "options": " ".join(options)}


def baselines(split: str) -> dict:
    """Bits per note of each n-gram order, transposed, fitted on the training collections."""
    from melody import NGram, pitches

    learnt, scored = (files(names) for names in SPLITS[split])
    training, test = pitches(learnt, True), pitches(scored, True)
    row = {"train_tunes": len(training), "test_tunes": len(test)}
    for order in ORDERS:
        bits, notes = NGram(training, order).bits(test)
        row[f"{order}-gram transposed"] = bits / notes
    row["notes"] = notes
    return row


def main(argv=None) -> int:
    args = defaults_arguments(__doc__, SUITES, "suite", "melody", argv)
    results = open_results("defaults", args)
    key = f"{args.split}/melody/essen"
    if f"{key}/baselines" not in results and not args.skip_baselines:
        results.record(f"{key}/baselines", baselines(args.split))
        print(key, results[f"{key}/baselines"], file=sys.stderr)
    if not args.baselines_only:
        defaults_runs(results, args, key, "essen", lambda seed, name: rnnkit_run(
            args.split, name, seed, args.max_time, args.options.split()), METRICS)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
