"""Video as a sequence of frames: motion clips and the bouncing ball (``benchmarks/clips.py``)."""
from render import fixed, grouped, renders, seeds, table
from store import load

ACCURACY_TARGET = 0.95       # issue 16, the motion classifier
CLASSES = 6                  # left, right, up, down, bouncing, zig-zag
NEAR_CHANCE = 0.05           # "near chance": within this of 1 / CLASSES
RATIO_TARGET = 0.5           # issue 16, the ball: at most half the constant-velocity error
BUDGET_SECONDS = 15 * 60


def seconds(x: float) -> str:
    return f"{x:.0f} s"


def budget(train_seconds: float, what: str = "") -> str:
    verdict = "met" if train_seconds < BUDGET_SECONDS else "**missed**"
    return f"Training took {seconds(train_seconds)}{what} (target under 15 minutes: {verdict})."


@renders("clips/motion")
def motion() -> str:
    store = load("clips")
    rows = []
    deltas, plain = store.result("motion/rnnkit"), store.result("motion/rnnkit without --deltas")
    met = "met" if deltas["accuracy"] >= ACCURACY_TARGET else "**missed**"
    rows.append(("rnnkit: CNN per frame with frame differences (`--deltas`), BiGRU over the frames",
                 f"**{fixed(deltas['accuracy'], 3)}** (macro-F1 {fixed(deltas['macro_f1'], 3)})",
                 seconds(deltas["train_seconds"]), seeds(store.entry("motion/rnnkit")), f">= {ACCURACY_TARGET}: {met}"))
    p = store.entry("motion/rnnkit without --deltas").provenance
    speed = f", speed index {p['speed_index_ms']} ms" if p.get("speed_index_ms", "unknown") != "unknown" else ""
    rows.append((f"rnnkit without `--deltas` (code of {p['commit']}{speed})",
                 f"{fixed(plain['accuracy'], 3)} (macro-F1 {fixed(plain['macro_f1'], 3)})",
                 seconds(plain["train_seconds"]), seeds(store.entry("motion/rnnkit without --deltas")), ""))
    chance = 1 / CLASSES
    for name, label, with_target in (
            ("motion/baseline/one frame (the middle one)", "baseline: CNN on the middle frame", True),
            ("motion/baseline/the mean frame", "baseline: CNN on the mean frame", False)):
        b = store.result(name)
        near = "met" if abs(b["accuracy"] - chance) <= NEAR_CHANCE else "**missed**"
        rows.append((label, fixed(b["accuracy"], 3), seconds(b["train_seconds"]), seeds(store.entry(name)),
                     f"near chance (1/{CLASSES} = {chance:.3f}): {near}" if with_target else ""))
    return table(("model", "test accuracy", "training", "seeds", "target"), rows, "lrrll")


@renders("clips/motion-budget")
def motion_budget() -> str:
    return budget(load("clips").result("motion/rnnkit")["train_seconds"])


@renders("clips/ball")
def ball() -> str:
    store = load("clips")
    rows = []
    for name, label in (("ball/all windows", "all"), ("ball/bouncing windows", "bouncing")):
        w = store.result(name)
        met = "met" if w["ratio_to_constant_velocity"] <= RATIO_TARGET else "**missed**"
        rows.append((f"{label} {grouped(w['windows'])}",
                     f"**{fixed(w['rnnkit'], 3)} px** ({fixed(w['rnnkit_step5'], 3)})",
                     f"{fixed(w['constant_velocity'], 3)} px", f"{fixed(w['last_position'], 3)} px",
                     fixed(w["ratio_to_constant_velocity"], 3), seeds(store.entry(name)), f"<= {RATIO_TARGET}: {met}"))
    return table(("windows", "rnnkit (step 5 alone)", "constant velocity", "last position",
                  "rnnkit / constant velocity", "seeds", "target"), rows, "lrrrrll")


@renders("clips/ball-budget")
def ball_budget() -> str:
    run = load("clips").result("ball/rnnkit")
    return budget(run["train_seconds"], f" for {run['epochs']} epochs")

