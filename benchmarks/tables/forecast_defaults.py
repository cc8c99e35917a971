"""Forecasting with default options beside the classical baselines (``benchmarks/forecast_defaults.py``,
issue 33): the test split only; the validation split's comparisons of candidate defaults are
exploratory and never shown as results.

rnnkit's figures are the mean ± sample standard deviation of each seed's value (the ``per_seed``
of the summary entries ``test/DATASET/rnnkit``), every seed listed under the table."""
import statistics

from render import fixed, mean_sd, per_seed, provenance, renders, table
from store import load

DATASETS = {   # name: (label, horizon, MASE scale period)
    "air": ("AirPassengers", 24, 12),
    "co2": ("CO2, weekly", 52, 52),
    "sunspots": ("sunspots, yearly", 11, 1),
    "elec": ("electrical equipment", 12, 12),
    "m1": ("M1 yearly, 181 series", 6, 1),
    "m4h": ("M4 hourly, 414 series", 48, 24),
}
BASELINES = ("seasonal naive", "ETS (lowest AIC)", "Theta")
# issue 33's targets from the published M4 figures (not this benchmark's runs)
M1_THETA, M1_DAMPED = 4.185, 3.438          # M1 yearly MASE of Theta and damped Holt
M4H_NAIVE, M4H_BEST = 1.193, 0.801          # M4 hourly MASE of seasonal naive and of the best entry


def present() -> list[str]:
    """The datasets whose test runs are recorded."""
    entries = load("forecast_defaults").entries
    return [name for name in DATASETS if f"test/{name}/rnnkit" in entries and f"test/{name}/baselines" in entries]


def seeds_of(name: str) -> dict:
    return per_seed(load("forecast_defaults").entry(f"test/{name}/rnnkit"))


def mean(name: str, key: str) -> float:
    return statistics.mean(v[key] for v in seeds_of(name).values())


def cell(name: str, key: str, digits: int) -> str:
    return mean_sd([v[key] for v in seeds_of(name).values()], digits)


@renders("forecast_defaults/provenance")
def sources() -> str:
    names = [n for n in load("forecast_defaults").entries if n.startswith("test/") and "/seed" not in n]
    return provenance("forecast_defaults", names)


@renders("forecast_defaults/table")
def mase_table() -> str:
    """MASE and sMAPE of each method, the best MASE in bold; then each seed's MASE."""
    store = load("forecast_defaults")
    rows = []
    for name in present():
        label, horizon, period = DATASETS[name]
        base = store.result(f"test/{name}/baselines")
        ours = mean(name, "MASE")
        best = min([ours, *(base[b]["MASE"] for b in BASELINES)])

        def mark(text: str, value: float) -> str:
            return f"**{text}**" if value == best else text

        rows.append([label, horizon, period,
                     *(mark(fixed(base[b]["MASE"], 3), base[b]["MASE"]) for b in BASELINES),
                     mark(cell(name, "MASE", 3), ours),
                     *(fixed(base[b]["sMAPE"], 2) for b in BASELINES), cell(name, "sMAPE", 2),
                     f"{statistics.mean(v['train_seconds'] for v in seeds_of(name).values()):.0f} s"])
    header = ["data", "H", "m", *(f"{b} MASE" for b in BASELINES), "rnnkit MASE",
              *(f"{b} sMAPE %" for b in BASELINES), "rnnkit sMAPE %", "rnnkit training"]
    lines = [f"{DATASETS[n][0]}: " + ", ".join(f"seed {s} {fixed(v['MASE'], 3)}" for s, v in seeds_of(n).items())
             for n in present()]
    return (table(header, rows, "llr" + "r" * (len(header) - 3)) + "\n\nrnnkit's MASE, each seed: "
            + "; ".join(lines) + ".")


@renders("forecast_defaults/coverage")
def coverage() -> str:
    """rnnkit's interval coverage, calibrated on the validation part (the default) and not."""
    rows = []
    for name in present():
        runs = seeds_of(name).values()
        if not all("coverage80" in v and "uncalibrated" in v for v in runs):
            continue
        rows.append([DATASETS[name][0], cell(name, "coverage80", 3), cell(name, "coverage95", 3),
                     mean_sd([v["uncalibrated"]["coverage80"] for v in runs], 3),
                     mean_sd([v["uncalibrated"]["coverage95"] for v in runs], 3)])
    return table(["data", "80% calibrated", "95% calibrated", "80% uncalibrated", "95% uncalibrated"], rows, "lrrrr")


@renders("forecast_defaults/targets")
def targets() -> str:
    """Each target of issue 33, met or missed by how much."""
    store, done = load("forecast_defaults"), present()
    lines = []

    def say(target: str, ours: float, bar: float, name: str) -> None:
        verdict = "met" if ours <= bar else f"missed by {ours - bar:.3f}"
        lines.append(f"- {target}: rnnkit {fixed(ours, 3)} against {fixed(bar, 3)} on {DATASETS[name][0]}: {verdict}.")

    for name in done:
        say("No worse than seasonal naive", mean(name, "MASE"),
            store.result(f"test/{name}/baselines")["seasonal naive"]["MASE"], name)
    for name in ("air", "m4h"):
        if name in done:
            base = store.result(f"test/{name}/baselines")
            say("No worse than the better of ETS and Theta", mean(name, "MASE"),
                min(base["ETS (lowest AIC)"]["MASE"], base["Theta"]["MASE"]), name)
    if "m1" in done:
        say("Below Theta's published 4.185", mean("m1", "MASE"), M1_THETA, "m1")
        say("Stretch: below damped Holt's published 3.438", mean("m1", "MASE"), M1_DAMPED, "m1")
    if "m4h" in done:
        say("Below the published seasonal naive's 1.193", mean("m4h", "MASE"), M4H_NAIVE, "m4h")
        say("Stretch: below the best M4 entry's 0.801", mean("m4h", "MASE"), M4H_BEST, "m4h")
    missing = [DATASETS[n][0] for n in DATASETS if n not in done]
    if missing:
        lines.append(f"- Not yet run on the test split: {', '.join(missing)}.")
    return "\n".join(lines)
