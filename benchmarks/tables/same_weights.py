"""Do two versions train the same weights (``benchmarks/same_weights.py``)."""
from render import renders, table
from store import load

TIMINGS = {"seconds", "sentences_per_s"}   # evaluate's wall-clock figures, left out of the comparison

NAMES = {"lm": "lm (tinyshakespeare, 4,000 lines, 1 epoch)",
         "classify_text": "classify, text (SST-2, 2,000 sentences, 1 epoch)",
         "classify_recordings": "classify, recordings (GunPoint, 3 epochs)",
         "classify_clips": "classify, clips (120 motion clips, 1 epoch)",
         "tag": "tag (EWT, 400 sentences, 1 epoch)",
         "translate": "translate (Multi30k, 2,000 pairs, 1 epoch)",
         "forecast": "forecast (AirPassengers, 3 epochs)",
         "caption": "caption (300 count images, 1 epoch)",
         "track": "track (60 ball clips, 1 epoch)",
         "melody": "melody (Essen erk5, 1 epoch)",
         "longrange": "longrange (adding, T = 30, 1 epoch)"}


@renders("same_weights/table")
def same_weights() -> str:
    store = load("same_weights")
    rows = []
    for name, label in NAMES.items():
        value = store.result(name)
        versions = value["versions"]
        commits = " / ".join(v["commit"] for v in versions.values())
        hashes = " / ".join(v["sha1"][:10] for v in versions.values())
        weights = len({v["sha1"] for v in versions.values()}) == 1
        scores = [{k: x for k, x in v["metrics"].items() if k not in TIMINGS} for v in versions.values()]
        rows.append((label, commits, hashes, "yes" if weights else "no",
                     "yes" if all(s == scores[0] for s in scores) else "no"))
    return table(("run (seed 0)", "commits", "model.safetensors SHA-1", "same weights", "same test metrics "
                  "(timings aside)"), rows)
