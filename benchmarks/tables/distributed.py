"""Data-parallel training: 1 and 2 processes (``benchmarks/distributed.py``)."""
from render import fixed, grouped, renders, table, times
from store import load

MODELS = {"lm": "language model", "translate": "translation"}
SETUPS = ("1 process, 1 thread", "1 process, 2 threads", "2 processes, 1 thread each")
ORDINARY = "1 process, 2 threads"


def speed(model: str, setup: str) -> float:
    return load("distributed").result(f"{model}/{setup}")["tokens_per_s"]



@renders("distributed/speed")
def speeds() -> str:
    store = load("distributed")
    rows = []
    for model, label in MODELS.items():
        for setup in SETUPS:
            v = store.result(f"{model}/{setup}")
            ratio = times(v["tokens_per_s"] / speed(model, ORDINARY))
            rows.append((label, setup + (" (the ordinary run)" if setup == ORDINARY else ""),
                         grouped(v["tokens_per_s"]), f"**{ratio}**" if setup.startswith("2") else ratio,
                         grouped(v["steps"]), f"{fixed(v['first_step_s'], 1)} s"))
    return table(("model", "setup", "tokens/s", "vs 1 process, 2 threads", "steps in 90 s",
                  "time to the first step"), rows, "llrrrr")


@renders("distributed/split")
def split() -> str:
    one = "1 process, 1 thread"
    two = "2 processes, 1 thread each"
    gain = {m: speed(m, two) / speed(m, one) for m in MODELS}
    store = load("distributed")
    later = {m: store.result(f"{m}/{two}")["first_step_s"] - store.result(f"{m}/{ORDINARY}")["first_step_s"]
             for m in MODELS}
    return "\n".join([
        f"- The split itself costs little. Two processes of one thread each reach {times(gain['lm'])} (language "
        f"model) and {times(gain['translate'])} (translation) of one process with one thread. What is lost goes "
        f"to averaging the gradients over gloo (4.3 million and 7.5 million numbers a step) and to the steps "
        f"where one process waits for the other.",
        f"- Starting takes {fixed(later['lm'], 1)} s (language model) and {fixed(later['translate'], 1)} s "
        f"(translation) longer with two processes than with the ordinary run: a second Python and torch, the "
        f"rendezvous, and DDP's broadcast of the weights.",
    ])
