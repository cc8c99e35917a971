"""Image captioning: canvases of MNIST digits (``benchmarks/caption.py``)."""
from render import fixed, renders, seeds, table
from store import load

EXACT_TARGET = {"count": 0.95, "relation": 0.80}   # issue 15
BLEU_TARGET = {"count": 95.0}
BUDGET_SECONDS = 15 * 60
VARIANT = {"count": "count (1-4 digits)", "relation": "relation (2 x 2 grid)"}


def seconds(x: float) -> str:
    """Whole seconds, halves rounded up (670.5 s -> 671 s)."""
    return f"{int(x + 0.5)} s"


def target(variant: str, value: dict) -> str:
    parts = []
    exact = EXACT_TARGET[variant]
    met = value["exact"] >= exact
    parts.append(f"exact >= {exact:.2f}: " + ("met" if met else "**missed**"))
    if variant in BLEU_TARGET:
        bleu = BLEU_TARGET[variant]
        gap = bleu - value["bleu"]
        parts.append(f"BLEU-4 >= {bleu:.0f}: " + ("met" if gap <= 0 else f"**missed by {gap:.2f}**"))
    return "; ".join(parts)


# (entry, model column, with the target column, exact in bold); {commit}: the entry's code
ROWS = (
    ("count/rnnkit", "rnnkit captioner, `--coverage 1 --elastic 1`, 14 epochs", True, True),
    ("count/baseline", "baseline: slot CNN told the count, same distortion, 14 epochs", False, False),
    ("count_before_elastic/rnnkit", "rnnkit, no distortion, 12 epochs, random batches ({commit})", False, False),
    ("count_length_batches/rnnkit", "the same, batches by caption length ({commit})", False, False),
    ("count_length_batches_no_coverage/rnnkit", "the same without `--coverage` ({commit})", False, False),
    ("count_before_elastic/baseline", "baseline, no distortion, 12 epochs", False, False),
    ("relation/rnnkit", "rnnkit captioner, random batches ({commit})", True, True),
    ("relation_length_batches/rnnkit", "the same, batches by caption length ({commit})", False, False),
    ("relation/baseline", "baseline: slot CNN told there are two", False, False),
)


@renders("caption/results")
def results() -> str:
    store = load("caption")
    rows = []
    for name, model, with_target, bold in ROWS:
        variant = name.split("/")[0].split("_")[0]
        value, entry = store.result(name), store.entry(name)
        exact = fixed(value["exact"], 3)
        rows.append((VARIANT[variant], model.format(commit=entry.provenance["commit"]), fixed(value["bleu"], 2),
                     f"**{exact}**" if bold else exact, seconds(value["train_seconds"]), seeds(entry),
                     target(variant, value) if with_target else ""))
    return table(("variant", "model", "BLEU-4", "exact", "training", "seeds", "target"), rows, "llrrrll")


@renders("caption/budget")
def budget() -> str:
    store = load("caption")
    longest = max(store.result(name)["train_seconds"] for name, *_ in ROWS)
    verdict = "met" if longest < BUDGET_SECONDS else "**missed**"
    return f"Every run above trains in under 15 minutes ({verdict}; the longest {seconds(longest)})."

