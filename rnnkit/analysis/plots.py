"""The analysis drawn: gradient flow over time beside the lecture's bound, and the scalar example."""
from __future__ import annotations

from pathlib import Path

import torch

from rnnkit.analysis.scalar import closed_form_gradient
from rnnkit.figures import save_figure, subplots


def plot_gradient_flow(flow, jacobians: torch.Tensor | None, bound: torch.Tensor | None, path: Path,
                       title: str = "") -> None:
    """Left: ``||dL/dh_k||`` against the step k, one line per layer and direction.  Right, where
    given: the largest singular value of ``dh_T/dh_k`` against the distance T - k, and the
    lecture's bound ``(||W_hh|| max|f'|)^(T-k)`` (Elman cells)."""
    panels = 2 if jacobians is not None else 1
    fig, axes = subplots(1, panels, figsize=(5.2 * panels, 3.8), dpi=110, squeeze=False)
    ax = axes[0, 0]
    steps = torch.arange(1, flow.norms.shape[1] + 1)
    for row, name in zip(flow.norms, flow.rows):
        ax.semilogy(steps, row.clamp_min(1e-300), label=name, linewidth=1.2)
    ax.set_xlabel("step k")
    ax.set_ylabel("||dL/dh_k||  (batch mean)")
    ax.set_title("gradient of the loss at the last step", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7)
    if jacobians is not None:
        ax = axes[0, 1]
        distance = torch.arange(len(jacobians) - 1, -1, -1)
        ax.semilogy(distance, jacobians.clamp_min(1e-300), label="measured: largest singular value of dh_T/dh_k")
        if bound is not None:
            ax.semilogy(distance, bound.clamp(1e-300, 1e300), "--", label="bound (||W_hh|| max|f'|)^(T-k)")
        ax.set_xlabel("distance T - k (steps)")
        ax.set_title("the product of the step Jacobians (first layer, forward)", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def plot_scalar_example(path: Path, weights=(0.9, 1.0, 1.1), length: int = 60, h0: float = 1.0) -> None:
    """``|dh_T/dw| = T |w|^(T-1) |h_0|`` of ``h_t = w h_(t-1)`` against T for each w (log scale)."""
    fig, ax = subplots(figsize=(5.2, 3.8), dpi=110)
    steps = list(range(1, length + 1))
    for w in weights:
        ax.semilogy(steps, [abs(closed_form_gradient(w, T, h0)) for T in steps], label=f"w = {w:g}")
    ax.set_xlabel("T (steps)")
    ax.set_ylabel("|dh_T / dw|")
    ax.set_title("h_t = w h_(t-1):  dh_T/dw = T w^(T-1) h_0", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def plot_cliff(ws: torch.Tensor, bs: torch.Tensor, surface: torch.Tensor, paths: dict, path: Path,
               title: str = "") -> None:
    """The loss surface of the single-unit network over (w, b) as log10 contours, with gradient-
    descent paths drawn over it (``paths``: name -> ``rnnkit.analysis.exploding.Descent``)."""
    fig, ax = subplots(figsize=(6.2, 4.6), dpi=110)
    levels = ax.contourf(ws.numpy(), bs.numpy(), surface.clamp_min(1e-12).log10().numpy(), levels=30, cmap="viridis")
    fig.colorbar(levels, ax=ax, label="log10 loss")
    for (name, descent), colour in zip(paths.items(), ("tab:red", "white", "tab:orange")):
        points = descent.points.numpy()
        ax.plot(points[:, 0], points[:, 1], "-o", color=colour, markersize=2.5, linewidth=1, label=name)
    ax.set_xlim(float(ws[0]), float(ws[-1]))
    ax.set_ylim(float(bs[0]), float(bs[-1]))
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(title or "x_t = w sigmoid(x_(t-1)) + b: loss (x_50 - 0.7)^2", fontsize=9)
    save_figure(fig, path)


def plot_gate_statistics(stats, path: Path, title: str = "") -> None:
    """Three panels: each gate's share of saturated values (shut, open); the saturated share
    along the text; the memory's decay (the kept share against distance, log scale)."""
    panels = 3 if stats.retention is not None else 2
    fig, axes = subplots(1, panels, figsize=(4.6 * panels, 3.8), dpi=110)
    names = list(stats.gates)
    lows = [stats.gates[n]["low"] for n in names]
    highs = [stats.gates[n]["high"] for n in names]
    axes[0].bar(names, lows, label="shut (below 0.1, or -0.9 for tanh)", color="tab:blue")
    axes[0].bar(names, highs, bottom=lows, label="open (above 0.9)", color="tab:orange")
    axes[0].set_ylim(0, 1)
    axes[0].set_ylabel("share of values")
    axes[0].set_title("saturated gates", fontsize=9)
    axes[0].legend(fontsize=7)
    for name in names:
        curve = stats.gates[name]["by_position"]
        window = max(1, len(curve) // 100)
        smooth = curve.unfold(0, window, window).mean(-1) if len(curve) >= window else curve
        axes[1].plot(torch.arange(len(smooth)) * window, smooth, label=name, linewidth=1)
    axes[1].set_ylim(0, 1)
    axes[1].set_xlabel("position in the text")
    axes[1].set_title("saturated share along the text", fontsize=9)
    axes[1].legend(fontsize=7)
    if stats.retention is not None:
        distance = torch.arange(1, len(stats.retention) + 1)
        axes[2].semilogy(distance, stats.retention.clamp_min(1e-300))
        axes[2].set_xlabel("distance d (steps)")
        axes[2].set_title(f"memory: mean product of {stats.keep_gate} over d steps", fontsize=9)
        axes[2].grid(True, alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def plot_clipping(runs: dict[str, list[dict]], path: Path, explode: float = 10.0, title: str = "") -> None:
    """Training with and without clipping: the training loss of each run (``runs``: name -> the
    records of its metrics.jsonl) against steps, and the gradient norms below, the steps whose
    largest norm exceeds ``explode`` times the run's median marked."""
    fig, (top, bottom) = subplots(2, 1, figsize=(7, 5.6), dpi=110, sharex=True)
    for (name, records), colour in zip(runs.items(), ("tab:blue", "tab:red", "tab:green")):
        logged = [r for r in records if "train_loss" in r]
        steps = [r["step"] for r in logged]
        top.plot(steps, [r["train_loss"] for r in logged], color=colour, linewidth=1, label=name)
        norms = torch.tensor([r.get("grad_norm_max", r["grad_norm"]) for r in logged], dtype=torch.float64)
        bottom.semilogy(steps, norms.clamp_min(1e-12), color=colour, linewidth=0.8, label=name)
        if len(norms):
            burst = norms > explode * norms.median()
            bottom.scatter([s for s, b in zip(steps, burst.tolist()) if b], norms[burst], color=colour, s=12,
                           marker="x", label=f"{name}: {int(burst.sum())} exploding (> {explode:g} x median)")
    top.set_ylabel("training loss")
    top.legend(fontsize=7)
    top.grid(True, alpha=0.3)
    bottom.set_ylabel("gradient norm (before clipping)")
    bottom.set_xlabel("step")
    bottom.legend(fontsize=7)
    bottom.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
