"""Recurrent layers, forward + backward, against torch.nn and the oracle loop (``benchmarks/layers.py``).

One entry per cell, ``SIZE/config`` (e.g. ``M/lstm``), holding the cell's shape, repetitions and one
row per contender (median ms, tokens/s, throughput ratio against torch.nn)."""
from __future__ import annotations

from render import fixed, grouped, renders, seeds, table, times
from store import load

# the torch.nn layer each config is measured against (benchmarks/layers.py, CONFIGS)
BASELINE = {"lstm": "torch.nn.LSTM", "gru": "torch.nn.GRU", "rnn": "torch.nn.RNN",
            "gru_before": "torch.nn.GRU", "lstm_ln": "torch.nn.LSTM", "lstm_recdrop": "torch.nn.LSTM"}
NAME = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN", "gru_before": 'GRU `reset="before"`',
        "lstm_ln": "LayerNorm LSTM", "lstm_recdrop": "recurrent dropout"}
LAYER = {"lstm": "`rnnkit.LSTM`", "gru": "`rnnkit.GRU`", "rnn": "`rnnkit.RNN`",
         "gru_before": '`rnnkit.GRU(reset="before")`', "lstm_ln": "`rnnkit.LSTM(layer_norm=True)`",
         "lstm_recdrop": "`rnnkit.LSTM(recurrent_dropout=0.25)`"}
KERNEL = {"lstm": "torch's oneDNN kernel"}           # what the torch-kernel path of a config runs ("native" in entries before issue 35)
AUTO, ENGINE, ORACLE, TORCH = "rnnkit (auto)", "rnnkit (engine)", "oracle loop", "torch.nn"
TARGET_SIZES = ("M", "L")                          # the sizes the M-and-L targets name
README_SIZES = ("M", "L")


def grid() -> tuple[list[str], list[str], dict[tuple[str, str], dict]]:
    """Sizes and configs in the order they were recorded, and each cell by (size, config)."""
    store = load("layers")
    cells = {tuple(name.split("/")): store.result(name) for name in store.entries}
    sizes = list(dict.fromkeys(size for size, _ in cells))
    configs = list(dict.fromkeys(config for _, config in cells))
    return sizes, configs, cells


def row(cell: dict, contender: str) -> dict | None:
    return next((r for r in cell["rows"] if r["contender"] == contender), None)


def ratio(cell: dict, contender: str) -> float | None:
    r = row(cell, contender)
    return r["ratio_vs_torch"] if r else None


def engine_vs_oracle(cell: dict) -> float:
    return row(cell, ORACLE)["ms"] / row(cell, ENGINE)["ms"]


def core(configs: list[str], cells: dict) -> list[str]:
    """The configs torch.nn has too (they have a ``backend="auto"`` contender); the rest are extras."""
    return [c for c in configs if all(row(cell, AUTO) for (_, k), cell in cells.items() if k == c)]


def slashed(values, digits: int = 2) -> str:
    return " / ".join(fixed(v, digits) for v in values)


def status(values, line: float) -> str:
    return "met" if all(v >= line for v in values) else "missed"


def shape(cell: dict) -> str:
    return "(" + ", ".join(str(n) for n in cell["shape"]) + ")"


def note(names=None) -> str:
    """What every figure rests on: timed runs per contender and seeds, from the entries."""
    store = load("layers")
    names = list(store.entries) if names is None else names
    reps = sorted({store.result(n)["reps"] for n in names})
    labels = sorted({seeds(store.entry(n)) for n in names})
    return (f"Each figure: the median of {' or '.join(map(str, reps))} timed runs per contender; weights and "
            f"inputs from {' or '.join(labels)}.")


@renders("layers/summary")
def summary() -> str:
    sizes, configs, cells = grid()
    header = ["config", "baseline"]
    for size in sizes:
        header += [f"{size} auto", f"{size} engine"]
    header.append(f"engine vs oracle ({' / '.join(sizes)})")
    rows = []
    for config in configs:
        line = [config, BASELINE.get(config, "torch.nn")]
        for size in sizes:
            cell = cells[(size, config)]
            for contender in (AUTO, ENGINE):
                r = ratio(cell, contender)
                line.append("—" if r is None else times(r))
        line.append(" / ".join(times(engine_vs_oracle(cells[(size, config)]), 1) for size in sizes))
        rows.append(line)
    return table(header, rows, "ll" + "r" * 2 * len(sizes) + "l") + "\n\n" + note()


@renders("layers/targets")
def targets() -> str:
    sizes, configs, cells = grid()
    main = core(configs, cells)
    extras = [c for c in configs if c not in main]
    at = [s for s in TARGET_SIZES if s in sizes]

    def ratios(config, contender, where):
        return [ratio(cells[(s, config)], contender) for s in where]

    auto = {c: ratios(c, AUTO, sizes) for c in main}
    parts = []
    for c in main:
        paths = {row(cells[(s, c)], AUTO)["path"] for s in sizes}
        how = (KERNEL.get(c, "torch's own kernel") if paths in ({"torch"}, {"native"}) else "engine" if paths == {"engine"}
               else "paths " + " / ".join(row(cells[(s, c)], AUTO)["path"] for s in sizes))
        parts.append(f"{NAME[c]} {slashed(auto[c])} ({how})")
    first = f"{status([v for vs in auto.values() for v in vs], 0.95)}: " + ", ".join(parts)

    engine = {c: ratios(c, ENGINE, at) for c in main}
    second = (", ".join(f"{NAME[c]} {slashed(engine[c])}" for c in main)
              + f": {status([v for vs in engine.values() for v in vs], 1.0)}")
    below = [(s, c, ratio(cells[(s, c)], ENGINE)) for s in sizes if s not in at for c in main
             if ratio(cells[(s, c)], ENGINE) < 1.0]
    if below:
        second += ". Below 1.0x elsewhere: " + ", ".join(f"{NAME[c]} at {s} {times(r)}" for s, c, r in below)

    extra = {c: ratios(c, ENGINE, at) for c in extras}
    third = f"{status([v for vs in extra.values() for v in vs], 0.8)}: " + ", ".join(slashed(v) for v in extra.values())
    low = min(((r, s, c) for c in extras for s, r in zip(at, extra[c])), default=None)
    if low:
        third += f". Closest to the line: {NAME[low[2]]} at {low[1]} ({times(low[0])})"

    oracle = {c: [engine_vs_oracle(cells[(s, c)]) for s in sizes] for c in extras}
    fourth = f"{status([v for vs in oracle.values() for v in vs], 1.0)}: " + ", ".join(
        f"{fixed(min(v), 1)}-{times(max(v), 1)}" for v in oracle.values())

    names = ", ".join(NAME[c] for c in extras)
    sizes_named = " and ".join(at)
    rows = [(f"{', '.join(NAME[c] for c in main)} with `backend=\"auto\"` >= 0.95x torch.nn at every size", first),
            (f"engine path >= 1.0x at {sizes_named} (aim)", second),
            (f"{names} >= 0.8x torch.nn at {sizes_named}", third),
            ("the same three faster than their oracle loop at every size" if len(extras) == 3
             else f"{names} faster than their oracle loop at every size", fourth)]
    return table(("target", "result"), rows)


@renders("layers/full")
def full() -> str:
    sizes, configs, cells = grid()
    rows = []
    for size in sizes:
        for config in configs:
            cell = cells[(size, config)]
            for r in cell["rows"]:
                rows.append((f"{size} {shape(cell)}", config, r["contender"], r["path"], fixed(r["ms"], 1),
                             grouped(r["tokens_per_s"]), times(r["ratio_vs_torch"])))
    return table(("size (B, T, D, H)", "config", "contender", "path", "ms", "tokens/s", "vs torch.nn"), rows,
                 "llllrrr")



@renders("layers/readme-speed")
def readme_speed() -> str:
    """README.md, "Speed": the sentence naming the sizes, and the table at those sizes."""
    store = load("layers")
    sizes, configs, cells = grid()
    shown = [s for s in README_SIZES if s in sizes]
    names = [f"{s}/{c}" for s in shown for c in configs]
    machines = {(store.entry(n).provenance["machine"]["cores"], store.entry(n).provenance["machine"]["cpu"])
                for n in names}
    on = " or ".join(f"a {cores}-core {cpu}" for cores, cpu in sorted(machines, key=str))
    labels = " or ".join(sorted({seeds(store.entry(n)) for n in names}))
    shapes = " and ".join(shape(cells[(s, configs[0])]) for s in shown)
    lead = (f"Forward + backward throughput against torch.nn on {on}, {labels} (details, commands and the full "
            f"table in `BENCHMARKS.md`); (B, T, D, H) = {shapes}:")
    main = core(configs, cells)
    rows = []
    for c in configs:
        label = LAYER.get(c, f"`{c}`")
        if c in main:
            paths = {row(cells[(s, c)], AUTO)["path"] for s in shown}
            if paths in ({"torch"}, {"native"}):
                kernel = KERNEL.get(c, "torch's own kernel")
                label += (f" ({kernel} by default; the engine: "
                          + " / ".join(times(ratio(cells[(s, c)], ENGINE)) for s in shown) + ")")
            contender = AUTO
        else:
            label += f" vs {BASELINE.get(c, 'torch.nn')}"
            contender = ENGINE
        rows.append((label, " / ".join(times(ratio(cells[(s, c)], contender)) for s in shown)))
    return lead + "\n\n" + table(("layer", "vs torch.nn"), rows)
