"""What the gates of a trained network do over a text (from ``layer.trace()``, ``rnnkit.Trace``).

A gate is saturated where it is nearly shut or nearly open: a sigmoid gate (LSTM i, f, o; GRU
r, z) below 0.1 or above 0.9, a tanh candidate (LSTM g, GRU n) below -0.9 or above 0.9; a
saturated gate passes almost no gradient (sigma' = sigma (1 - sigma) < 0.09).  The share of
saturated values is given per gate, per position of the text and per unit.  Memory: the gate
that keeps the old state (the LSTM's forget gate f in ``c_t = f c_(t-1) + i g``, the GRU's z in
``h_t = (1 - z) n + z h_(t-1)``) keeps ``prod_(j=t+1..t+d) keep_j`` of a value after d steps;
``retention`` is its mean over positions and units, the memory's decay against distance.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

TANH_GATES = {"g", "n"}
KEEP_GATE = {"LSTM": "f", "GRU": "z"}
NAMES = {"i": "input", "f": "forget", "g": "candidate", "o": "output", "r": "reset", "z": "update (keep)",
         "n": "candidate"}


@dataclass
class GateStatistics:
    """Per gate: ``mean``, the shares ``low`` and ``high`` of saturated values, the share saturated
    at each position ``by_position [T]`` and for each unit ``by_unit [rows * H]`` (rows: layers and
    directions, in trace order); ``retention [d]``: the mean kept share after 1..d steps (None for
    cells without a keep gate)."""
    gates: dict[str, dict]
    retention: torch.Tensor | None
    keep_gate: str | None


def saturation_bounds(gate: str) -> tuple[float, float]:
    return (-0.9, 0.9) if gate in TANH_GATES else (0.1, 0.9)


def gate_statistics(trace, family: str, max_distance: int = 200) -> GateStatistics:
    """The statistics of a trace of one sequence (``trace.gates``: name -> ``[rows, T, B, H]``, all
    steps real) for a layer of ``family`` ("LSTM", "GRU", "RNN")."""
    if not trace.gates:
        raise ValueError("the cell has no gates (an Elman RNN): nothing to measure")
    gates = {}
    for name, values in trace.gates.items():
        low, high = saturation_bounds(name)
        v = values.double()
        saturated = (v < low) | (v > high)
        gates[name] = {"name": NAMES.get(name, name), "mean": float(v.mean()), "low": float((v < low).double().mean()),
                       "high": float((v > high).double().mean()),
                       "by_position": saturated.double().mean(dim=(0, 2, 3)),
                       "by_unit": saturated.double().mean(dim=(1, 2)).flatten()}
    keep = KEEP_GATE.get(family)
    retention = None
    if keep in trace.gates:
        retention = kept_after(trace.gates[keep].double(), max_distance)
    return GateStatistics(gates, retention, keep if retention is not None else None)


def kept_after(keep: torch.Tensor, max_distance: int) -> torch.Tensor:
    """``[d]``: for d = 1..min(max_distance, T - 1), the mean over rows, start positions t, batch
    and units of ``prod_(j=t+1..t+d) keep_j`` (``keep [rows, T, B, H]``)."""
    T = keep.shape[1]
    logs = torch.cumsum(keep.clamp_min(1e-300).log(), dim=1)               # [rows, T, B, H]
    out = []
    for d in range(1, min(max_distance, T - 1) + 1):
        out.append((logs[:, d:] - logs[:, :-d]).exp().mean())
    return torch.stack(out) if out else torch.zeros(0, dtype=torch.float64)


def format_gate_statistics(stats: GateStatistics) -> str:
    """One line per gate and one for the memory's decay."""
    lines = []
    for name, g in stats.gates.items():
        low, high = saturation_bounds(name)
        lines.append(f"gate {name} ({g['name']}): mean {g['mean']:.3f}  below {low:g}: {g['low']:.3f}  above "
                     f"{high:g}: {g['high']:.3f}")
    if stats.retention is not None and len(stats.retention):
        shown = [d for d in (1, 10, 100) if d <= len(stats.retention)]
        kept = ", ".join(f"{float(stats.retention[d - 1]):.3g} after {d}" for d in shown)
        lines.append(f"memory: the {stats.keep_gate} gates keep {kept} step(s) (mean over positions and units)")
    return "\n".join(lines) + "\n"
