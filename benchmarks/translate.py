"""Machine translation on Multi30k German -> English: cased and lowercased sacrebleu BLEU on
test_2016_flickr for (a) no attention, (b) attention with greedy decoding, (c) attention with
beam search, and the translation speed with beam 5.

    python benchmarks/translate.py [STAGE ...] [--seed S] [--fresh] [--exploratory] [--data DIR]

Stages (default: all, each skipped when its result is recorded):
- ``tokenizers``: the same model trained for 15 minutes with SentencePiece subwords and with
  the word tokenizer; validation BLEU (greedy) picks the tokenizer of the other stages.
- ``no-attention``: the bottleneck model, training capped at 15 minutes.
- ``attention``: the attention model, 60 minutes of training.
Every run trains on train, selects on val (greedy BLEU) and is scored on test_2016_flickr with
``rnnkit evaluate``, at seed ``--seed`` (default 0).  Results: benchmarks/results/translate.json;
``make bench-report`` renders the tables of BENCHMARKS.md from them.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import DATA, RNNKIT, best, metrics, open_results, results_options, speed, train

MODEL = ["--cell", "lstm", "--layers", "1", "--hidden", "512", "--embedding", "256", "--dropout", "0.3",
         "--batch-size", "64", "--lr", "2e-3", "--schedule", "cosine", "--eval-every", "450", "--epochs", "100"]
TOKENIZERS = {"subword": ["--tokenizer", "subword", "--vocab-size", "8000"],
              "word": ["--tokenizer", "word", "--min-freq", "2"]}
STAGES = ("tokenizers", "no-attention", "attention")


def translation_run(name: str, extra: list[str], data: Path, seed: int) -> tuple[Path, dict]:
    m30k = data / "multi30k"
    args = ["--src", str(m30k / "train.de.gz"), "--tgt", str(m30k / "train.en.gz"),
            "--valid-src", str(m30k / "val.de.gz"), "--valid-tgt", str(m30k / "val.en.gz"), *MODEL, *extra,
            "--seed", str(seed)]
    run, wall = train("translate", name, args)
    records = metrics(run)
    chosen = best(records, "valid_bleu", maximize=True)
    return run, {"config": " ".join([*MODEL, *extra]), "wall_s": wall, "tokens_per_s": speed(records),
                 "steps": max(r.get("step", 0) for r in records),
                 "valid_bleu": chosen["valid_bleu"], "selected_at_s": chosen["elapsed"],
                 "evaluations": [{"elapsed": r["elapsed"], "step": r.get("step"), "bleu": r["valid_bleu"]}
                                 for r in records if "valid_bleu" in r]}


def test_scores(run: Path, data: Path, beam: int) -> dict:
    m30k = data / "multi30k"
    out = subprocess.run([*RNNKIT, "evaluate", str(run), "--src", str(m30k / "test_2016_flickr.de.gz"),
                          "--ref", str(m30k / "test_2016_flickr.en.gz"), "--beam", str(beam), "--json",
                          "--output", str(run / f"test_2016_flickr.beam{beam}.en")],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stages", nargs="*", choices=STAGES, default=list(STAGES), metavar="STAGE",
                        help=f"stages to run, of {', '.join(STAGES)}")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=0, help="seed of every training run (default 0)")
    results_options(parser)
    args = parser.parse_args(argv)
    results = open_results("translate", args)
    if "tokenizers" in args.stages:
        for kind, options in TOKENIZERS.items():
            if f"tokenizer_{kind}" not in results:
                _, result = translation_run(f"mt_tokenizer_{kind}", [*options, "--max-time", "900"], args.data,
                                            args.seed)
                results.record(f"tokenizer_{kind}", result, seeds=[args.seed])
    chosen = max(TOKENIZERS, key=lambda k: results[f"tokenizer_{k}"]["valid_bleu"]) \
        if all(f"tokenizer_{k}" in results for k in TOKENIZERS) else "subword"
    for stage, extra, beams in (("no-attention", ["--attention", "none", "--max-time", "900"], (1, 5)),
                                ("attention", ["--attention", "general", "--max-time", "3600"], (1, 5))):
        key = stage.replace("-", "_")
        if stage in args.stages and key not in results:
            run, result = translation_run(f"mt_{key}", [*TOKENIZERS[chosen], *extra], args.data, args.seed)
            result["tokenizer"] = chosen
            result["test"] = {f"beam{b}": test_scores(run, args.data, b) for b in beams}
            results.record(key, result, seeds=[args.seed])
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
