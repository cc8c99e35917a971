"""Melodies: the Essen folk songs (``benchmarks/melody.py``)."""
from render import fixed, grouped, percent, renders, seeds, table
from store import load

ORDERS = {1: "unigram", 2: "bigram", 3: "trigram", 4: "4-gram"}
BITS_TARGET = 2.40           # issue 18: kinder0 pitch bits/note at most this, and below the best n-gram
IN_KEY_POINTS = 5            # issue 18: the composed melodies' in-key share within this many points of the corpus's
FOLDS = 10


def bits(x: float) -> str:
    return fixed(x, 3)


def met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


@renders("melody/kinder0")
def kinder0() -> str:
    store = load("melody")
    s = store.result("kinder0/summary")
    rows = [(f"{ORDERS[n]}{' (as written / transposed)' if n == 1 else ''}",
             f"{bits(s[f'{n}-gram'])} / {bits(s[f'{n}-gram transposed'])}") for n in ORDERS]
    rows.append(("**rnnkit melody model**",
                 f"**{bits(s['rnnkit'])}** (durations: {bits(s['rnnkit_duration'])} bits/note given the pitch)"))
    return (table(("model", "pitch bits/note"), rows, "lr") + "\n\n"
            + f"Summed over the {FOLDS} test folds: {grouped(s['notes'])} notes; "
              f"{seeds(store.entry('kinder0/summary'))} (each fold's model).")


@renders("melody/kinder0-target")
def kinder0_target() -> str:
    s = load("melody").result("kinder0/summary")
    grams = {f"{n}-gram{t}": s[f"{n}-gram{t}"] for n in ORDERS for t in ("", " transposed")}
    best = min(grams, key=grams.get)
    n, transposed = int(best.split("-")[0]), best.endswith("transposed")
    name = f"the {'transposed ' if transposed else ''}{ORDERS[n]}{'' if transposed else ' as written'}"
    ok = s["rnnkit"] < grams[best] and s["rnnkit"] <= BITS_TARGET
    return (f"Target: below the best n-gram of the script ({name}, {bits(grams[best])}) and at most "
            f"{BITS_TARGET:.2f}: {met(ok)} ({bits(s['rnnkit'])}).")


@renders("melody/folds")
def folds() -> str:
    store = load("melody")
    rows = []
    for k in range(FOLDS):
        f = store.result(f"kinder0/fold {k}")
        rows.append((k, f["test_songs"], f["notes"], bits(f["rnnkit"] / f["rnnkit_notes"]),
                     bits(f["4-gram transposed"] / f["notes"]), bits(f["4-gram"] / f["notes"])))
    return table(("fold", "test songs", "notes", "rnnkit", "4-gram transposed", "4-gram as written"), rows, "rrrrrr")


@renders("melody/essen")
def essen() -> str:
    store = load("melody")
    e = store.result("essen")
    rows = [("rnnkit melody model", bits(e["pitch_bits"]), bits(e["duration_bits"]), bits(e["joint_bits"])),
            ("bigram, transposed", bits(e["bigram_transposed"]), "", ""),
            ("4-gram, transposed", bits(e["4-gram_transposed"]), "", "")]
    return (table(("", "pitch bits/note", "duration bits/note (given the pitch)", "joint bits/note"), rows, "lrrr")
            + "\n\n" + f"{grouped(e['train_songs'])} training and {grouped(e['test_songs'])} test songs of "
              f"{grouped(e['train_songs'] + e['test_songs'])} ({grouped(e['notes'])} test notes); reading the tunes "
              f"the first time took {e['reading_seconds']:.0f} s, training {e['train_seconds']:.0f} s; "
              f"{seeds(store.entry('essen'))}.")


@renders("melody/composed")
def composed() -> str:
    store = load("melody")
    g = store.result("generated")
    rows = [("corpus (test songs)", fixed(g["in_key_corpus"], 3), ""),
            ("rnnkit melodies", fixed(g["in_key_rnnkit"], 3), f"**{fixed(g['interval_kl_rnnkit'], 4)}**"),
            ("bigram melodies", fixed(g["in_key_bigram"], 3), fixed(g["interval_kl_bigram"], 4))]
    return (table(("", "share of notes in the key", "interval KL from the corpus (bits)"), rows, "lrr") + "\n\n"
            + f"{g['melodies']} melodies from each model; composing took {g['seconds']:.1f} s; "
              f"{seeds(store.entry('generated'))} (the all-Essen model's).")


@renders("melody/composed-target")
def composed_target() -> str:
    g = load("melody").result("generated")
    in_key = abs(g["in_key_rnnkit"] - g["in_key_corpus"]) * 100 <= IN_KEY_POINTS
    closer = g["interval_kl_rnnkit"] < g["interval_kl_bigram"]
    return (f"Targets: in-key share within {IN_KEY_POINTS} points of the corpus's (rnnkit "
            f"{percent(g['in_key_rnnkit'], 1)} against {percent(g['in_key_corpus'], 1)}: {met(in_key)}) and an "
            f"interval histogram closer to the corpus's than the bigram's (KL {fixed(g['interval_kl_rnnkit'], 4)} "
            f"against {fixed(g['interval_kl_bigram'], 4)}: {met(closer)}).")

