"""Melodies from the Essen folk song collection that ships with music21, against n-gram models.

    python benchmarks/melody.py [--fresh] [--exploratory] [--only kinder0 essen generated]

``kinder0``: the 213 children's songs of ``kinder0.abc``, 10-fold cross-validation by song (a seeded
shuffle; each fold's model holds out 10% of its training songs for validation): the pitch bits per
note of ``rnnkit train melody`` + ``rnnkit evaluate`` on each fold's test songs, summed over the
folds, beside interpolated n-gram models of orders 1 to 4 (add-0.1 smoothing, each order's
pseudo-counts spread by the order below, over the 129 pitch symbols: MIDI 0-127 and the rest) on
the same folds, on the pitches as written and on the pitches transposed by their key signature
(as the melody model reads them).  ``essen``: every tune of the collection, a fixed 90/10 split by
song: pitch and duration bits per note.  ``generated``: 300 melodies composed by the essen model
(temperature 1, no top-p), each from the first note of a test song with that song's number of
notes and metre, against the test songs and against melodies sampled from the bigram model:
the KL divergence of the pitch-interval histogram from the corpus's, and the share of notes in
the key.  Each tune is written to its own file first (``RUNS/melody-tunes``), so that the folds are
folders of links and each tune is parsed once (in parallel, cached).  Results:
benchmarks/results/melody.json.
"""
from __future__ import annotations

import argparse
import math
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from common import RNNKIT, RUNS, Results, evaluate_with, open_results, results_options

ORDERS = (1, 2, 3, 4)
SYMBOLS = 129          # MIDI 0-127 and the rest
K = 0.1
SEED = 0                 # rnnkit train melody's default, the rnnkit runs' seed
# chosen on fold 0 among 5 settings (pitch 1.996 bits/note; 128 units, dropout 0.3, 60 epochs: 2.000)
KINDER_ARGS = ["--epochs", "60", "--hidden", "256", "--dropout", "0.5", "--batch-size", "16"]
ESSEN_ARGS = ["--max-time", "600", "--hidden", "256", "--dropout", "0.2", "--batch-size", "32"]
SCALE = {0, 2, 4, 5, 7, 9, 11}    # the pitch classes of C major: "in the key" once transposed


def corpus() -> Path:
    import music21
    return Path(music21.__file__).parent / "corpus" / "essenFolksong"


def split_tunes(abc: Path, folder: Path) -> list[Path]:
    """Each tune of ``abc`` (from an ``X:`` line to the next) as its own file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = abc.read_bytes().decode("latin-1").splitlines()
    starts = [k for k, line in enumerate(lines) if line.startswith("X:")]
    paths = []
    for n, (first, last) in enumerate(zip(starts, starts[1:] + [len(lines)])):
        path = folder / f"{abc.stem}-{n:04d}.abc"
        if not path.exists():
            path.write_text("\n".join(lines[first:last]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _read_one(path: Path) -> int:
    import warnings
    from rnnkit.data.music import read_music
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return len(read_music([str(path)], progress=False))
        except Exception:
            return 0


def warm_cache(paths: list[Path]) -> list[Path]:
    """Parse every tune file once (2 processes), so that later reads come from the cache; the
    files music21 cannot read or that hold no notes are left out."""
    with ProcessPoolExecutor(2) as pool:
        counts = list(pool.map(_read_one, paths, chunksize=32))
    return [p for p, n in zip(paths, counts) if n]


def linked(folder: Path, paths: list[Path]) -> Path:
    """A folder of links to ``paths`` (read through the links, the cache is the originals')."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for p in paths:
        (folder / p.name).symlink_to(p.resolve())
    return folder


def pitches(paths: list[Path], transposed: bool) -> list[list[int]]:
    """Each tune's pitch symbols (128: the rest), as written or moved by its key signature to C."""
    from rnnkit.data.music import read_music, signature_shift
    out = []
    for piece in read_music([str(p) for p in paths], progress=False):
        shift = signature_shift(piece.sharps) if transposed else 0
        out.append([128 if n.pitch is None else n.pitch - shift for n in piece.notes])
    return out


class NGram:
    """Interpolated add-k n-gram: P_n(w | h) = (c(h, w) + k V P_{n-1}(w | h')) / (c(h) + k V), where
    h' drops the oldest symbol of h, and P_0 is uniform over the V symbols; the context before a
    tune is padded with a start symbol."""

    def __init__(self, tunes: list[list[int]], order: int):
        self.order = order
        self.counts = [Counter() for _ in range(order)]     # counts[m][(context of m symbols, w)]
        self.totals = [Counter() for _ in range(order)]
        for tune in tunes:
            padded = [-1] * (order - 1) + tune
            for t in range(order - 1, len(padded)):
                for m in range(order):
                    context = tuple(padded[t - m:t])
                    self.counts[m][context, padded[t]] += 1
                    self.totals[m][context] += 1

    def probability(self, context: tuple, w: int) -> float:
        p = 1.0 / SYMBOLS
        for m in range(self.order):
            h = context[len(context) - m:] if m else ()
            p = (self.counts[m][h, w] + K * SYMBOLS * p) / (self.totals[m][h] + K * SYMBOLS)
        return p

    def bits(self, tunes: list[list[int]]) -> tuple[float, int]:
        total, n = 0.0, 0
        for tune in tunes:
            padded = [-1] * (self.order - 1) + tune
            for t in range(self.order - 1, len(padded)):
                total -= math.log2(self.probability(tuple(padded[t - self.order + 1:t]), padded[t]))
                n += 1
        return total, n

    def sample(self, start: int, notes: int, rng: random.Random) -> list[int]:
        """A tune from ``start`` with ``notes`` sounding notes (rests do not count)."""
        tune = [start]
        while sum(p != 128 for p in tune) < notes:
            context = tuple(([-1] * (self.order - 1) + tune)[-(self.order - 1):]) if self.order > 1 else ()
            weights = [self.probability(context, w) for w in range(SYMBOLS)]
            tune.append(rng.choices(range(SYMBOLS), weights)[0])
        return tune


def train(name: str, train_folder: Path, args: list[str]) -> tuple[Path, float]:
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    start = time.monotonic()
    subprocess.run([*RNNKIT, "train", "melody", "--music", str(train_folder), "--out", str(out), "--log-every", "20",
                    *args], check=True, stderr=subprocess.DEVNULL)
    return out, time.monotonic() - start


def kinder0(results: Results) -> None:
    tunes = warm_cache(split_tunes(corpus() / "kinder0.abc", RUNS / "melody-tunes" / "kinder0"))
    order = list(tunes)
    random.Random(0).shuffle(order)
    folds = [order[k::10] for k in range(10)]
    for k, test in enumerate(folds):
        key = f"kinder0/fold {k}"
        if key in results:
            continue
        training = [p for p in order if p not in set(test)]
        row = {"test_songs": len(test)}
        for transposed in (False, True):
            train_tunes, test_tunes = pitches(training, transposed), pitches(test, transposed)
            for n in ORDERS:
                bits, count = NGram(train_tunes, n).bits(test_tunes)
                row[f"{n}-gram{' transposed' if transposed else ''}"] = bits
        row["notes"] = count
        run, seconds = train(f"melody-kinder0-{k}", linked(RUNS / "melody-folds" / f"train-{k}", training),
                             KINDER_ARGS)
        m = evaluate_with(run, ["--music", str(linked(RUNS / "melody-folds" / f"test-{k}", test))])
        row.update(rnnkit=m["pitch_bits"] * m["notes"], rnnkit_duration=m["duration_bits"] * m["notes"],
                   rnnkit_notes=m["notes"], seconds=round(seconds, 1))
        results.record(key, row, seeds=[SEED])
        print(f"fold {k}: rnnkit {m['pitch_bits']:.3f}, 4-gram {row['4-gram'] / count:.3f} bits/note",
              file=sys.stderr)
    rows = [results[f"kinder0/fold {k}"] for k in range(10)]
    notes = sum(r["notes"] for r in rows)
    summary = {name: round(sum(r[name] for r in rows) / notes, 4) for name in rows[0]
               if "gram" in name or name in ("rnnkit", "rnnkit_duration")}
    summary["notes"] = notes
    results.record("kinder0/summary", summary, seeds=[SEED])


def essen_split() -> tuple[list[Path], list[Path]]:
    files = sorted(p for p in corpus().glob("*.abc") if not p.stem.startswith("test"))
    tunes = [t for f in files for t in split_tunes(f, RUNS / "melody-tunes" / f.stem)]
    tunes = warm_cache(tunes)
    order = list(tunes)
    random.Random(0).shuffle(order)
    cut = len(order) // 10
    return order[cut:], order[:cut]


def essen(results: Results) -> None:
    start = time.monotonic()
    training, test = essen_split()
    read = time.monotonic() - start
    run, seconds = train("melody-essen", linked(RUNS / "melody-folds" / "essen-train", training), ESSEN_ARGS)
    m = evaluate_with(run, ["--music", str(linked(RUNS / "melody-folds" / "essen-test", test))])
    bigram = NGram(pitches(training, True), 2).bits(pitches(test, True))
    fourgram = NGram(pitches(training, True), 4).bits(pitches(test, True))
    results.record("essen", {"train_songs": len(training), "test_songs": len(test), "notes": m["notes"],
                        "pitch_bits": m["pitch_bits"], "duration_bits": m["duration_bits"],
                        "joint_bits": m["joint_bits"], "bigram_transposed": bigram[0] / bigram[1],
                        "4-gram_transposed": fourgram[0] / fourgram[1], "train_seconds": round(seconds, 1),
                        "reading_seconds": round(read, 1)}, seeds=[SEED])


def intervals(tunes: list[list[int]]) -> Counter:
    """Steps between consecutive sounding notes, in semitones, beyond an octave as +-13."""
    found = Counter()
    for tune in tunes:
        notes = [p for p in tune if p != 128]
        found.update(max(-13, min(13, b - a)) for a, b in zip(notes, notes[1:]))
    return found


def kl(reference: Counter, other: Counter) -> float:
    """KL(reference || other) in bits over the interval bins -13..13, half a count added to each."""
    bins = range(-13, 14)
    p_total = sum(reference.values()) + 0.5 * len(bins)
    q_total = sum(other.values()) + 0.5 * len(bins)
    return sum((reference[b] + 0.5) / p_total * math.log2((reference[b] + 0.5) / p_total * q_total / (other[b] + 0.5))
               for b in bins)


def in_key(tunes: list[list[int]]) -> float:
    notes = [p for tune in tunes for p in tune if p != 128]
    return sum(p % 12 in SCALE for p in notes) / len(notes)


def generated(results: Results) -> None:
    import warnings

    import rnnkit
    from rnnkit.data.music import read_music, signature_shift
    from rnnkit.tasks.melody.compose import composed

    training, test = essen_split()
    model = rnnkit.load(RUNS / "melody-essen", "cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pieces = read_music([str(p) for p in test], progress=False)
    rng = random.Random(0)
    chosen = rng.sample(pieces, min(300, len(pieces)))
    corpus_tunes = pitches(test, True)
    bigram = NGram(pitches(training, True), 2)
    lstm_tunes, bigram_tunes = [], []
    start_time = time.monotonic()
    for k, piece in enumerate(chosen):
        first = piece.notes[0].pitch - signature_shift(piece.sharps)
        count = sum(n.pitch is not None for n in piece.notes)
        meter = piece.meter if piece.meter in model.meters else None
        melody, _ = composed(model, [first], count, meter=meter, temperature=1.0, top_p=None, seed=k)
        lstm_tunes.append([128 if n.pitch is None else n.pitch for n in melody])
        bigram_tunes.append(bigram.sample(first, count, rng))
    reference = intervals(corpus_tunes)
    results.record("generated", {"melodies": len(chosen), "seconds": round(time.monotonic() - start_time, 1),
                            "in_key_corpus": in_key(corpus_tunes), "in_key_rnnkit": in_key(lstm_tunes),
                            "in_key_bigram": in_key(bigram_tunes), "interval_kl_rnnkit": kl(reference,
                                                                                              intervals(lstm_tunes)),
                            "interval_kl_bigram": kl(reference, intervals(bigram_tunes))}, seeds=[SEED])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    results_options(parser)
    parser.add_argument("--only", nargs="+", choices=("kinder0", "essen", "generated"), help="run only these parts")
    args = parser.parse_args(argv)
    results = open_results("melody", args)
    RUNS.mkdir(parents=True, exist_ok=True)
    wanted = args.only or ("kinder0", "essen", "generated")
    if "kinder0" in wanted and "kinder0/summary" not in results:
        kinder0(results)
    if "essen" in wanted and "essen" not in results:
        essen(results)
    if "generated" in wanted and "generated" not in results:
        generated(results)
    results.show()
    return 0


if __name__ == "__main__":
    sys.exit(main())
