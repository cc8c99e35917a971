"""Do two versions of rnnkit train the same weights?  Every application, a short run of a fixed
number of steps from the same seed, once with each version; the SHA-1 of each run's
``model.safetensors`` and its ``rnnkit evaluate --json`` line compared.

    python benchmarks/same_weights.py --code NAME=DIR --code NAME=DIR [--fresh] [--exploratory]

A redesign that only moves code (issue 35's slices) should train bit for bit the same models:
same seed, same machine, same thread count.  Each ``--code`` is a checkout of rnnkit (a git
worktree of the commit to measure); the first is the reference.  The data are small cuts of
``../shared/data`` and of the benchmarks' generators, written once under
``benchmarks/results/runs/same_weights_data``.  Results: benchmarks/results/same_weights.json, an
entry per application with each version's hash and metrics and whether they agree.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from itertools import islice
from pathlib import Path

import ball_data
import caption_data
import clips_data
from common import DATA, RUNS, open_results, results_options

FOLDER = RUNS / "same_weights_data"
SEED = 0
TIMINGS = {"seconds", "sentences_per_s"}   # evaluate's wall-clock figures, which no two runs share


def head(source: Path, target: Path, lines: int) -> Path:
    """The first ``lines`` lines of ``source`` (.gz read as text) into ``target``."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as f:
        target.write_text("".join(islice(f, lines)), encoding="utf-8")
    return target


def conllu_head(source: Path, target: Path, sentences: int) -> Path:
    blocks = source.read_text(encoding="utf-8").split("\n\n")[:sentences]
    target.write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")
    return target


def prepare() -> dict[str, tuple[list[str], list[str]]]:
    """Each application's ``(rnnkit train NAME ...options, rnnkit evaluate ...options)``."""
    d = FOLDER
    d.mkdir(parents=True, exist_ok=True)
    text = head(DATA / "shakespeare" / "input.txt", d / "shakespeare.txt", 4000)
    sst = head(DATA / "sst2" / "glue" / "train.tsv", d / "sst2_train.tsv", 2001)
    sst_dev = head(DATA / "sst2" / "glue" / "dev.tsv", d / "sst2_dev.tsv", 301)
    ewt = conllu_head(DATA / "ud_english_ewt" / "en_ewt-ud-train.conllu", d / "ewt_train.conllu", 400)
    ewt_dev = conllu_head(DATA / "ud_english_ewt" / "en_ewt-ud-dev.conllu", d / "ewt_dev.conllu", 100)
    m30k = DATA / "multi30k"
    pairs = {f"{part}.{side}": head(m30k / f"{part}.{side}.gz", d / f"m30k_{part}.{side}", n)
             for part, n in (("train", 2000), ("val", 200)) for side in ("de", "en")}
    if not (d / "captions").exists():
        caption_data.write(d / "captions", "count", {"train": 300, "valid": 50, "test": 50})
    if not (d / "clips").exists():
        clips_data.write(d / "clips", {"train": 120, "valid": 30, "test": 30}, size=32, frames=8)
    if not (d / "ball").exists():
        ball_data.write(d / "ball", {"train": 60, "valid": 20, "test": 20}, scene=ball_data.Scene(size=32))
    import music21
    essen = Path(music21.__file__).parent / "corpus" / "essenFolksong"
    uea, series = DATA / "uea", DATA / "timeseries"
    cap, clips, ball = d / "captions", d / "clips", d / "ball"
    return {
        "lm": (["lm", "--text", str(text), "--hidden", "128", "--epochs", "1"], ["--test", str(text)]),
        "classify_text": (["classify", "--train", str(sst), "--valid", str(sst_dev), "--hidden", "64", "--epochs", "1"],
                          ["--test", str(sst_dev)]),
        "classify_recordings": (["classify", "--train", str(uea / "GunPoint_TRAIN.ts"), "--epochs", "3"],
                                ["--test", str(uea / "GunPoint_TEST.ts")]),
        "classify_clips": (["classify", "--clips", str(clips), "--labels", str(clips / "train.tsv"), "--valid-labels",
                            str(clips / "valid.tsv"), "--epochs", "1"],
                           ["--clips", str(clips), "--labels", str(clips / "test.tsv")]),
        "tag": (["tag", "--train", str(ewt), "--valid", str(ewt_dev), "--epochs", "1"], ["--test", str(ewt_dev)]),
        "translate": (["translate", "--src", str(pairs["train.de"]), "--tgt", str(pairs["train.en"]), "--valid-src",
                       str(pairs["val.de"]), "--valid-tgt", str(pairs["val.en"]), "--tokenizer", "word", "--hidden",
                       "64", "--embedding", "64", "--epochs", "1"],
                      ["--src", str(pairs["val.de"]), "--ref", str(pairs["val.en"]), "--beam", "2"]),
        "forecast": (["forecast", "--csv", str(series / "airline.csv"), "--horizon", "12", "--epochs", "3"],
                     ["--csv", str(series / "airline.csv")]),
        "caption": (["caption", "--images", str(cap / "images"), "--captions", str(cap / "train.tsv"),
                     "--valid-captions", str(cap / "valid.tsv"), "--epochs", "1"],
                    ["--images", str(cap / "images"), "--captions", str(cap / "test.tsv"), "--beam", "2"]),
        "track": (["track", "--clips", str(ball), "--positions", str(ball / "train.csv"), "--valid-positions",
                   str(ball / "valid.csv"), "--epochs", "1"],
                  ["--clips", str(ball), "--positions", str(ball / "test.csv")]),
        "melody": (["melody", "--music", str(essen / "erk5.abc"), "--epochs", "1"],
                   ["--music", str(essen / "erk10.abc")]),
        "longrange": (["longrange", "--problem", "adding", "--length", "30", "--epoch-size", "500", "--test-size",
                       "200", "--epochs", "1"], []),
    }


def rnnkit(code: Path, args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(code))
    return subprocess.run([sys.executable, "-m", "rnnkit.cli.main", *args], cwd=code, env=env, check=True,
                          capture_output=True, text=True)


def trained(code: Path, label: str, name: str, train: list[str], test: list[str]) -> dict:
    out = RUNS / f"same_weights_{name}_{label}"
    shutil.rmtree(out, ignore_errors=True)
    rnnkit(code, ["train", *train, "--seed", str(SEED), "--out", str(out)])
    digest = hashlib.sha1((out / "model.safetensors").read_bytes()).hexdigest()
    evaluated = json.loads(rnnkit(code, ["evaluate", str(out), *test, "--json"]).stdout)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=code, capture_output=True,
                            text=True).stdout.strip()
    return {"commit": commit, "sha1": digest, "metrics": evaluated}


def scores(run: dict) -> dict:
    """A run's test metrics less its timings."""
    return {k: v for k, v in run["metrics"].items() if k not in TIMINGS}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", action="append", required=True, metavar="NAME=DIR",
                        help="a version: a label and the checkout that holds it (the first is the reference)")
    results_options(parser)
    args = parser.parse_args(argv)
    versions = {label: Path(code).resolve() for label, code in (spec.split("=", 1) for spec in args.code)}
    results = open_results("same_weights", args)
    for name, (train, test) in prepare().items():
        if name in results:
            continue
        runs = {label: trained(code, label, name, train, test) for label, code in versions.items()}
        first = next(iter(runs.values()))
        same = all(r["sha1"] == first["sha1"] and scores(r) == scores(first) for r in runs.values())
        results.record(name, {"versions": runs, "same": same}, seeds=[SEED])
        print(f"{name}: {'same weights and metrics' if same else 'DIFFERENT'}", file=sys.stderr)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
