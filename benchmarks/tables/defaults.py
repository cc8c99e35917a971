"""Classifying recordings with default options beside 1-NN baselines (``benchmarks/defaults.py``,
issue 34): the test split only; the validation split's runs are exploratory and never shown as
results.

rnnkit's figures are the mean ± sample standard deviation of each seed's test accuracy (the
``per_seed`` of the summary entries ``test/recordings/PROBLEM/rnnkit``), every seed listed."""
import statistics

from render import fixed, mean_sd, per_seed, provenance, renders, table
from store import load

PROBLEMS = ("JapaneseVowels", "BasicMotions", "GunPoint", "Coffee", "PigCVP", "PLAID")
# issue 34's targets: the published InceptionTime accuracies that the issue names
INCEPTION = {"Coffee": 1.000, "GunPoint": 1.000, "JapaneseVowels": 0.992, "BasicMotions": 1.000}
WITHIN = 0.03
PIGCVP_STRETCH = 0.966


def present() -> list[str]:
    entries = load("defaults").entries
    return [p for p in PROBLEMS if f"test/recordings/{p}/rnnkit" in entries
            and f"test/recordings/{p}/baselines" in entries]


def seeds_of(problem: str) -> dict:
    return per_seed(load("defaults").entry(f"test/recordings/{problem}/rnnkit"))


def accuracy(problem: str) -> float:
    return statistics.mean(v["accuracy"] for v in seeds_of(problem).values())


@renders("defaults/provenance")
def sources() -> str:
    names = [n for n in load("defaults").entries if n.startswith("test/") and "/seed" not in n]
    return provenance("defaults", names)


@renders("defaults/recordings")
def recordings_table() -> str:
    """Test accuracy of each method, the best in bold; each seed's under the table."""
    store, rows = load("defaults"), []
    for problem in present():
        base = store.result(f"test/recordings/{problem}/baselines")
        ours = accuracy(problem)
        euclidean = base.get("1-NN Euclidean")
        best = max(ours, base["1-NN DTW"], euclidean or 0.0)

        def mark(text: str, value: float | None) -> str:
            return f"**{text}**" if value == best else text

        runs = seeds_of(problem).values()
        rows.append([problem,
                     mark(fixed(euclidean, 3), euclidean) if euclidean is not None else "(unequal lengths)",
                     mark(fixed(base["1-NN DTW"], 3), base["1-NN DTW"]),
                     mark(mean_sd([v["accuracy"] for v in runs], 3), ours),
                     f"{statistics.mean(v['train_seconds'] for v in runs):.0f} s"])
    lines = [f"{p}: " + ", ".join(f"seed {s} {fixed(v['accuracy'], 3)}" for s, v in seeds_of(p).items())
             for p in present()]
    return (table(["problem", "1-NN Euclidean", "1-NN DTW (10% band)", "rnnkit defaults", "rnnkit training"], rows,
                  "lrrrr") + "\n\nrnnkit's accuracy, each seed: " + "; ".join(lines) + ".")


@renders("defaults/targets")
def targets() -> str:
    """Each recordings target of issue 34, met or missed by how much."""
    store, done, lines = load("defaults"), present(), []

    def say(target: str, ours: float, bar: float) -> None:
        verdict = "met" if ours >= bar else f"missed by {bar - ours:.3f}"
        lines.append(f"- {target}: rnnkit {fixed(ours, 3)} against {fixed(bar, 3)}: {verdict}.")

    for problem in done:
        say(f"{problem}, at least 1-NN DTW", accuracy(problem),
            store.result(f"test/recordings/{problem}/baselines")["1-NN DTW"])
    for problem, published in INCEPTION.items():
        if problem in done:
            say(f"{problem}, within {WITHIN} of InceptionTime's {fixed(published, 3)}", accuracy(problem),
                published - WITHIN)
    if "PigCVP" in done:
        say("PigCVP, stretch: InceptionTime's", accuracy("PigCVP"), PIGCVP_STRETCH)
    missing = [p for p in PROBLEMS if p not in done]
    if missing:
        lines.append(f"- Not yet run on the test split: {', '.join(missing)}.")
    return "\n".join(lines)


def clips_seeds(suite: str) -> dict:
    return per_seed(load("defaults").entry(f"test/clips/{suite}/rnnkit"))


def clips_present() -> list[str]:
    return [s for s in ("motion", "ball") if f"test/clips/{s}/rnnkit" in load("defaults").entries]


@renders("defaults/clips")
def clips_table() -> str:
    """The clip classifier's test accuracy beside the single-image CNNs, the tracker's error beside
    constant velocity and the captioner's exact match beside the slot CNN, each seed listed; the
    targets of issue 34 with them."""
    store, lines = load("defaults"), []
    if "motion" in clips_present():
        runs = clips_seeds("motion")
        base = store.result("test/clips/motion/baselines") if "test/clips/motion/baselines" in store.entries else {}
        ours = statistics.mean(v["accuracy"] for v in runs.values())
        lines.append(table(
            ["clips (40 x 40, 8 directions)", "test accuracy", "training", "target"],
            [["rnnkit defaults", mean_sd([v["accuracy"] for v in runs.values()], 3),
              f"{statistics.mean(v['train_seconds'] for v in runs.values()):.0f} s",
              ">= 0.95: " + ("met" if ours >= 0.95 else f"missed by {0.95 - ours:.3f}")],
             *[[f"baseline: CNN on {name}", fixed(base[name], 3), f"{base['epochs']} epochs", ""]
               for name in ("one frame (the middle one)", "the mean frame") if name in base]], "lrrl"))
        lines.append("Clip accuracy, each seed: " + ", ".join(f"seed {s} {fixed(v['accuracy'], 3)}"
                                                              for s, v in runs.items()) + ".")
    if "ball" in clips_present():
        runs = clips_seeds("ball")
        error = statistics.mean(v["error"] for v in runs.values())
        velocity = statistics.mean(v["constant_velocity"] for v in runs.values())
        lines.append(table(
            ["ball (48 x 48, radius 4, gravity 0.2)", "error of the next 5 positions", "step 5 alone", "training",
             "target"],
            [["rnnkit defaults", mean_sd([v["error"] for v in runs.values()], 3) + " px",
              mean_sd([v["error_last"] for v in runs.values()], 3) + " px",
              f"{statistics.mean(v['train_seconds'] for v in runs.values()):.0f} s",
              "<= half of constant velocity: " + ("met" if error <= velocity / 2 else
                                                  f"missed ({error / velocity:.2f} of it)")],
             ["baseline: constant velocity (true positions)", fixed(velocity, 3) + " px", "", "", ""],
             ["baseline: last position (true positions)",
              fixed(statistics.mean(v["last_position"] for v in runs.values()), 3) + " px", "", "", ""]], "lrrrl"))
        lines.append("Ball error, each seed: " + ", ".join(f"seed {s} {fixed(v['error'], 3)} px"
                                                           for s, v in runs.items()) + ".")
    if "test/captions/count5/rnnkit" in store.entries:
        runs = per_seed(store.entry("test/captions/count5/rnnkit"))
        slot = store.result("test/captions/count5/baselines")
        exact = statistics.mean(v["exact"] for v in runs.values())
        lines.append(table(
            ["captions (160 x 48, 1 to 5 digits)", "exact match", "BLEU-4", "training", "target"],
            [["rnnkit defaults (greedy)", mean_sd([v["exact"] for v in runs.values()], 3),
              mean_sd([v["bleu"] for v in runs.values()], 2),
              f"{statistics.mean(v['train_seconds'] for v in runs.values()):.0f} s",
              "exact >= 0.90: " + ("met" if exact >= 0.90 else f"missed by {0.90 - exact:.3f}")],
             ["baseline: slot CNN told the count", fixed(slot["slot CNN"]["exact"], 3), fixed(slot["slot CNN"]["bleu"], 2),
              f"{slot['epochs']} epochs, {slot['slot CNN']['train_seconds']:.0f} s", ""]], "lrrrl"))
        lines.append("Caption exact match, each seed: " + ", ".join(f"seed {s} {fixed(v['exact'], 3)}"
                                                                    for s, v in runs.items()) + ".")
    return "\n\n".join(lines) or "Not yet run on the test split."


@renders("defaults/melody")
def melody_table() -> str:
    """The melody model's pitch bits per note on the Boehme collections beside the transposed
    n-grams fitted on the same Erk tunes, each seed listed; issue 34's target with it."""
    store = load("defaults")
    if "test/melody/essen/rnnkit" not in store.entries:
        return "Not yet run on the test split."
    runs = per_seed(store.entry("test/melody/essen/rnnkit"))
    grams = store.result("test/melody/essen/baselines")
    pitch = statistics.mean(v["pitch_bits"] for v in runs.values())
    four = grams["4-gram transposed"]
    rows = [["rnnkit defaults", mean_sd([v["pitch_bits"] for v in runs.values()], 3),
             mean_sd([v["duration_bits"] for v in runs.values()], 3),
             f"{statistics.mean(v['train_seconds'] for v in runs.values()):.0f} s",
             "pitch below the 4-gram's: " + ("met" if pitch < four else f"missed by {pitch - four:.3f}")],
            *[[f"baseline: {order}-gram of the transposed pitches", fixed(grams[f"{order}-gram transposed"], 3), "", "",
               ""] for order in (1, 2, 3, 4)]]
    return "\n\n".join([
        table([f"melodies ({grams['train_tunes']:,} Erk tunes learnt, {grams['test_tunes']:,} Boehme tunes scored)",
               "pitch bits/note", "duration bits/note", "training", "target"], rows, "lrrrl"),
        "Pitch bits per note, each seed: " + ", ".join(f"seed {s} {fixed(v['pitch_bits'], 3)}"
                                                       for s, v in runs.items()) + "."])
