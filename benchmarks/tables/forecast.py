"""Time-series forecasting against statsmodels' classical methods (``benchmarks/forecast.py``).

rnnkit's figures are the mean ± sample standard deviation of each seed's value (the ``per_seed``
of the summary entries ``PART/rnnkit``), every seed listed under its table; the summaries' own
stored spreads were population ones and are not shown."""
import statistics

from render import fixed, mean_sd, provenance, renders, table
from store import StoreError, load

# the baselines' names in the results, and how the tables call them
NAMES = {"SARIMA(0,1,1)(0,1,1) on the log": "SARIMA(0,1,1)(0,1,1)12 on the log",
         "SES": "simple exponential smoothing"}
COVERAGE_TOLERANCE = 0.10            # issue 13: interval coverage within 10 points of nominal
TRAIN_LIMIT_S = 300                  # issue 13: each training run under 5 minutes


def runs(part: str, step: str | None = None) -> dict[str, dict]:
    """Each seed's figures of ``PART/rnnkit`` (of its ``step`` half for sunspots), checked against
    the mean the summary entry stored."""
    store = load("forecast")
    name = f"{part}/rnnkit"
    summary, entry = store.result(name), store.entry(name)
    per_seed = entry.provenance.get("per_seed")
    if not per_seed:
        raise StoreError(f"forecast: {name} records no per-seed values")
    if step:
        summary, per_seed = summary[step], {s: v[step] for s, v in per_seed.items()}
    for key, (mean, _) in summary.items():
        if abs(statistics.mean(v[key] for v in per_seed.values()) - mean) > 1e-9 * max(1.0, abs(mean)):
            raise StoreError(f"forecast: {name}: the seeds' {key} do not average to the stored mean")
    return per_seed


def values(per_seed: dict, key: str) -> list[float]:
    return [per_seed[s][key] for s in sorted(per_seed, key=int)]


def spread(per_seed: dict, key: str, digits: int) -> str:
    return mean_sd(values(per_seed, key), digits)


def seconds(per_seed: dict) -> str:
    return f"{statistics.mean(values(per_seed, 'train_seconds')):.0f} s"


def seed_line(per_seed: dict, columns: list[tuple[str, str, int]], who: str = "rnnkit") -> str:
    """'rnnkit, each seed (0, 1, ...): MAPE a, b, ...; ...' for ``(label, key, digits)`` columns."""
    order = sorted(per_seed, key=int)
    parts = [f"{label} " + ", ".join(fixed(per_seed[s][key], digits) for s in order) for label, key, digits in columns]
    parts.append("training " + ", ".join(f"{per_seed[s]['train_seconds']:.0f}" for s in order) + " s")
    return f"{who}, each seed ({', '.join(order)}): " + "; ".join(parts) + "."


def bold_best(cells: list[str], numbers: list[float | None]) -> list[str]:
    best = min(n for n in numbers if n is not None)
    return [f"**{c}**" if n == best else c for c, n in zip(cells, numbers)]


def classic_table(part: str, columns: list[tuple[str, str, int]], primary: str, names: dict[str, str],
                  training: bool = True) -> str:
    """Baselines and rnnkit on one series: ``columns`` are (header, key, digits); the best mean of
    ``primary`` in bold; rnnkit's row the mean ± sample sd of its seeds, each seed listed below."""
    base = load("forecast").result(f"{part}/baselines")
    per_seed = runs(part)
    rows, firsts = [], []
    for name, figures in base.items():
        rows.append([names.get(name, NAMES.get(name, name)),
                     *(fixed(figures[key], digits) if key in figures else "" for _, key, digits in columns)])
        firsts.append(figures[primary])
    rows.append(["rnnkit", *(spread(per_seed, key, digits) for _, key, digits in columns)])
    firsts.append(statistics.mean(values(per_seed, primary)))
    at = 1 + [key for _, key, _ in columns].index(primary)
    for row, cell in zip(rows, bold_best([r[at] for r in rows], firsts)):
        row[at] = cell
    if training:
        rows = [r + [""] for r in rows[:-1]] + [rows[-1] + [seconds(per_seed)]]
    header = ["method", *(h for h, _, _ in columns), *(["training (mean of the runs)"] if training else [])]
    return (table(header, rows, "l" + "r" * (len(header) - 1)) + "\n\n"
            + seed_line(per_seed, [(h, key, digits) for h, key, digits in columns]))


AIR = [("MAPE %", "MAPE", 2), ("RMSE", "RMSE", 1), ("MASE", "MASE", 3), ("coverage80", "coverage80", 3),
       ("coverage95", "coverage95", 3)]


@renders("forecast/provenance")
def sources() -> str:
    """Baselines and the five-seed summaries; each seed's entry ``PART/rnnkit/seedN`` comes from
    the run of its summary (``sunspots1``/``sunspots20``: ``sunspots/rnnkit``)."""
    names = list(load("forecast").entries)
    return provenance("forecast", [n for n in names if "/seed" not in n])


@renders("forecast/air24")
def air24() -> str:
    return classic_table("air24", AIR, "MAPE", {"Holt-Winters": "Holt-Winters (additive trend, multiplicative season)"})


@renders("forecast/air12")
def air12() -> str:
    return classic_table("air12", AIR, "MAPE", {})


@renders("forecast/m1")
def m1() -> str:
    return classic_table("m1", [("MASE", "MASE", 3), ("sMAPE %", "sMAPE", 2), ("coverage80", "coverage80", 3),
                                ("coverage95", "coverage95", 3)], "MASE", {})


@renders("forecast/co2")
def co2() -> str:
    return classic_table("co2", [("RMSE (ppm)", "RMSE", 3), ("MAPE %", "MAPE", 2), ("MASE", "MASE", 3),
                                 ("coverage80", "coverage80", 3), ("coverage95", "coverage95", 3)], "RMSE", {})


@renders("forecast/sunspots")
def sunspots() -> str:
    ar = load("forecast").result("sunspots/baselines")["AR(9)"]
    one, twenty = runs("sunspots", "one-step"), runs("sunspots", "20-step")
    ar_cells, rnn_cells = [], []
    for key, per_seed in (("one-step RMSE", one), ("20-step RMSE", twenty)):
        theirs, ours = ar[key], statistics.mean(values(per_seed, "RMSE"))
        ar_cells.append(f"**{fixed(theirs, 2)}**" if theirs < ours else fixed(theirs, 2))
        rnn_cells.append(f"**{spread(per_seed, 'RMSE', 2)}**" if ours < theirs else spread(per_seed, "RMSE", 2))
    rows = [("AR(9)", *ar_cells, ""), ("rnnkit", *rnn_cells, f"{seconds(one)} / {seconds(twenty)}")]
    cover = (f"rnnkit's intervals covered, of the test years, one step ahead {spread(one, 'coverage80', 2)} (80%) "
             f"and {spread(one, 'coverage95', 2)} (95%); 20 steps ahead {spread(twenty, 'coverage80', 2)} and "
             f"{spread(twenty, 'coverage95', 2)}.")
    columns = [("RMSE", "RMSE", 2), ("coverage80", "coverage80", 2), ("coverage95", "coverage95", 2)]
    return (table(("method", "one-step RMSE", "20-step RMSE", "training (mean of the runs)"), rows, "lrrr")
            + "\n\n" + cover + "\n\n" + seed_line(one, columns, "rnnkit one step ahead") + " "
            + seed_line(twenty, columns, "20 steps ahead"))


@renders("forecast/targets")
def targets() -> str:
    fc = load("forecast")
    air = runs("air24")
    hw = fc.result("air24/baselines")["Holt-Winters"]["MAPE"]
    mape = values(air, "MAPE")
    below = sum(v < hw for v in mape)
    lines = [f"- AirPassengers, horizon 24, MAPE below Holt-Winters' {fixed(hw, 2)}%: "
             f"{'met' if statistics.mean(mape) < hw else 'missed'}, {mean_sd(mape, 2)} "
             f"({'every seed' if below == len(mape) else f'{below} of {len(mape)} seeds'} below)."]
    m1 = runs("m1")
    base = fc.result("m1/baselines")
    mase = values(m1, "MASE")
    theta, damped = base["Theta"]["MASE"], base["damped Holt"]["MASE"]
    mean = statistics.mean(mase)
    stretch = (f"met by {fixed(damped - mean, 3)} on the mean" if mean < damped
               else f"missed by {fixed(mean - damped, 3)} on the mean")
    lines.append(f"- M1 yearly mean MASE below Theta's {fixed(theta, 3)}: {'met' if mean < theta else 'missed'}, "
                 f"{mean_sd(mase, 3)}. Below damped Holt's {fixed(damped, 3)} (the stretch): {stretch}; "
                 f"{sum(v < damped for v in mase)} of {len(mase)} seeds are below it.")
    verdicts = []
    for label, per_seed, months in (("M1", m1, None), ("AirPassengers", air, 24)):
        for nominal in (80, 95):
            cover = values(per_seed, f"coverage{nominal}")
            gap = abs(statistics.mean(cover) - nominal / 100)
            verdict = "met" if gap <= COVERAGE_TOLERANCE + 1e-9 else "missed"
            if abs(gap - COVERAGE_TOLERANCE) < 1e-9:
                verdict = "met, at the edge"
            low = ""
            if months and verdict != "met":
                worst = min(sorted(per_seed, key=int), key=lambda s: per_seed[s][f"coverage{nominal}"])
                low = (f"; seed {worst}'s intervals held {per_seed[worst][f'coverage{nominal}'] * months:.0f} "
                       f"of {months} months")
            verdicts.append(f"{label} {nominal}% {mean_sd(cover, 3)} ({verdict}{low})")
    lines.append("- Interval coverage within 10 points of nominal on AirPassengers and M1: "
                 + "; ".join(verdicts) + ".")
    every = [(part, s, v["train_seconds"]) for part in ("air24", "air12", "m1", "co2")
             for s, v in runs(part).items()]
    every += [(f"sunspots {step}", s, v["train_seconds"]) for step in ("one-step", "20-step")
              for s, v in runs("sunspots", step).items()]
    times = [t for _, _, t in every]
    lines.append(f"- Each training run under 5 minutes: {'met' if max(times) < TRAIN_LIMIT_S else 'missed'}, "
                 f"{min(times):.0f}-{max(times):.0f} s over the {len(times)} runs.")
    better = []
    for part, key, label in (("air12", "MAPE", "at horizon 12 on AirPassengers (MAPE)"),
                             ("co2", "RMSE", "on CO2 (RMSE)")):
        ours = statistics.mean(values(runs(part), key))
        names = [NAMES.get(n, n) for n, f in fc.result(f"{part}/baselines").items() if f[key] < ours]
        better.append(f"{label}: {', '.join(names) or 'none'}")
    ar = fc.result("sunspots/baselines")["AR(9)"]["20-step RMSE"]
    twenty = statistics.mean(values(runs("sunspots", "20-step"), "RMSE"))
    lines.append(f"- Not targets, stated as measured: the baselines that forecast better than rnnkit's mean "
                 f"{'; '.join(better)}; at 20 steps on sunspots AR(9) {fixed(ar, 2)} against rnnkit's "
                 f"{fixed(twenty, 2)} RMSE.")
    return "\n".join(lines)
