"""Regression check of the task contract, issue 11 (``benchmarks/regression.py``)."""
import statistics

from render import fixed, grouped, percent, renders, seeds, table
from store import load

RUNS = {
    "shakespeare_5min": ("char LM, tinyshakespeare, 5 min", "best validation loss (nats/char)",
                         lambda x: fixed(x, 4)),
    "sst2_last": ("SST-2, `last` pooling, selected on dev", "best dev accuracy", percent),
    "multi30k_words_15min": ("Multi30k De->En, words, attention, 15 min", "best val BLEU (greedy)",
                             lambda x: fixed(x, 2)),
}
UNITS = {"tokens_per_s": "tokens/s", "examples_per_s": "examples/s"}
# the same configurations in the task benchmarks' sections: (topic, entry, the key of its speed)
TASK_RUNS = {"shakespeare_5min": ("lm", "shakespeare_5min", "tokens_per_s"),
             "sst2_last": ("classify", "sst2_last", "examples_per_s"),
             "multi30k_words_15min": ("translate", "tokenizer_word", "tokens_per_s")}


def ratios() -> list[float]:
    store = load("regression")
    return [new / old for old, new in zip(store.result("speed_rounds/old"), store.result("speed_rounds/new"))]



@renders("regression/runs")
def runs() -> str:
    store = load("regression")
    rows = []
    for name, (label, metric, show) in RUNS.items():
        old, new = store.result(f"{name}/old"), store.result(f"{name}/new")
        unit = UNITS[old["speed_unit"]]
        rows.append((label, metric, show(old["best"]), show(new["best"]), f"{grouped(old['speed'])} {unit}",
                     f"{grouped(new['speed'])} {unit}", fixed(new["speed"] / old["speed"], 2),
                     f"{grouped(old['steps'])} / {grouped(new['steps'])}",
                     f"{seeds(store.entry(f'{name}/old'))} / {seeds(store.entry(f'{name}/new'))}"))
    return table(("run", "metric", "old", "new", "speed old", "speed new", "new / old", "steps old / new",
                  "seeds old / new"), rows, "llrrrrrrl")


@renders("regression/rounds")
def rounds() -> str:
    store = load("regression")
    old, new, r = store.result("speed_rounds/old"), store.result("speed_rounds/new"), ratios()
    header = ("", *(f"round {i + 1}" if i == 0 else str(i + 1) for i in range(len(old))), "median")
    rows = [("old, tokens/s", *map(grouped, old), grouped(statistics.median(old))),
            ("new, tokens/s", *map(grouped, new), grouped(statistics.median(new))),
            ("new / old", *(fixed(x, 2) for x in r), fixed(statistics.median(r), 2))]
    return table(header, rows, "l" + "r" * (len(header) - 1))


@renders("regression/speed")
def speed() -> str:
    store = load("regression")
    r = ratios()
    single = [store.result(f"{n}/new")["speed"] / store.result(f"{n}/old")["speed"] for n in RUNS]
    return (f"- Speed: no change beyond the noise (median ratio {fixed(statistics.median(r), 2)} over {len(r)} "
            f"rounds; the single runs scatter from {fixed(min(single), 2)} to {fixed(max(single), 2)} in both "
            f"directions). Nothing in a training step changed: the trainer is the same, and the task's `loss` "
            f"calls the model's as the command-line code did.")


@renders("regression/machine")
def machine() -> str:
    store = load("regression")
    parts, shares = [], []
    for name, (topic, entry, key) in TASK_RUNS.items():
        then = load(topic).result(entry)[key]
        parts.append(f"{grouped(then)} {UNITS[key]} in `{topic}`/`{entry}`")
        shares.append(fixed(store.result(f"{name}/new")["speed"] / then, 2))
    return (f"- The machine: the new code's speeds above are {', '.join(shares[:-1])} and {shares[-1]} of the same "
            f"configurations' figures in the sections above ({', '.join(parts)}; those were measured earlier, on "
            f"2026-11-23, with the code of b97187b). That code runs at the same speed as today's on today's machine "
            f"(two 45-second rounds, not recorded), so the machine, not the code, is slower; its speed index was "
            f"not recorded then.")


# issue 35 (the slices): three seeds of the code before it, one of the code after
BEFORE, AFTER, SEEDS35 = "before35", "after35", (0, 1, 2)


@renders("regression/issue35")
def issue35() -> str:
    store = load("regression")
    rows = []
    for name, (label, metric, show) in RUNS.items():
        before = [store.result(f"{name}/{BEFORE}/seed{s}") for s in SEEDS35]
        after = store.result(f"{name}/{AFTER}/seed0")
        values = [r["best"] for r in before]
        mean, sd = statistics.mean(values), statistics.stdev(values)
        distance = abs(after["best"] - mean) / sd if sd > 0 else float("inf")
        unit = UNITS[after["speed_unit"]]
        rows.append((label, metric, f"{show(mean)} ± {show(sd)} ({', '.join(show(v) for v in values)})",
                     show(after["best"]), fixed(distance, 2), "yes" if distance <= 2 else "no",
                     f"{grouped(statistics.mean(r['speed'] for r in before))} {unit}",
                     f"{grouped(after['speed'])} {unit}"))
    return table(("run", "metric", "before: mean ± SD (seeds 0, 1, 2)", "after (seed 0)", "distance from the mean (SDs)",
                  "within 2 SD", "speed before (mean)", "speed after"), rows, "llrrrlrr")
