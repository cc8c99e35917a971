"""Reliability: kill -9 and Ctrl-C at random moments (``benchmarks/kill_loop.py``)."""
from render import renders, table
from store import load


@renders("kill_loop/interrupts")
def interrupts() -> str:
    store = load("kill_loop")
    rows = []
    for signal in ("SIGKILL", "SIGINT"):
        c = store.result(signal)
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(c["exit_codes"].items()))
        rows.append((signal, c["interrupts"], c["in_checkpoint_write"], c["before_first_checkpoint"], c["fell_back"],
                     codes, "yes" if c["identical"] else "NO"))
    return table(("signal", "interrupts", "during a checkpoint write", "before any checkpoint existed",
                  "fell back to an older checkpoint", "exit codes", "final weights bit-identical"), rows, "lrrrrll")

