"""Part-of-speech tagging on UD English EWT (``benchmarks/tag.py``)."""
from __future__ import annotations

from render import fixed, flags, grouped, percent, renders, seeds, table
from store import load

TARGET, LIMIT_MIN = 0.955, 30                      # test UPOS within 30 minutes, the tagging issue's target



@renders("tag/table")
def results() -> str:
    entry = load("tag").entry("ewt_upos")
    r = load("tag").result("ewt_upos")
    opts = flags(r["config"])
    time = f"{fixed(r['wall_s'] / 60, 1)} min"
    # no early stopping in the config, and the wall time inside the budget: every epoch ran
    if "--epochs" in opts and "--patience" not in opts and r["wall_s"] < float(opts.get("--max-time", "inf")):
        time += f" ({opts['--epochs']} epochs, all of them)"
    rows = [("dev (selection)", percent(r["dev_accuracy"]), "", "", "", seeds(entry)),
            ("**test**", f"**{percent(r['test_accuracy'])}**", percent(r["test_unseen_accuracy"]), time,
             grouped(r["tokens_per_s"]), seeds(entry))]
    return table(("", "UPOS accuracy", "unseen words", "training time", "tokens/s", "seeds"), rows, "lrrrrl")


@renders("tag/per-tag")
def per_tag() -> str:
    recall = load("tag").result("ewt_upos")["per_tag"]
    ranked = sorted(recall.items(), key=lambda kv: -kv[1])
    return "Per tag (test, recall, %): " + ", ".join(f"{tag} {fixed(100 * v, 1)}" for tag, v in ranked) + "."


@renders("tag/target")
def target() -> str:
    r = load("tag").result("ewt_upos")
    minutes = r["wall_s"] / 60
    ok = r["test_accuracy"] >= TARGET and minutes <= LIMIT_MIN
    return (f"Target >= {percent(TARGET, 1)} test UPOS within {LIMIT_MIN} minutes: {'met' if ok else 'missed'} "
            f"({percent(r['test_accuracy'])} after {fixed(minutes, 1)} minutes; {percent(r['test_unseen_accuracy'], 1)} "
            f"on the {grouped(r['test_unseen_tokens'])} unseen words).")
