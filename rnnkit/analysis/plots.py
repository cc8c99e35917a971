"""The analysis drawn: gradient flow over time beside the lecture's bound, and the scalar example."""
from __future__ import annotations

from pathlib import Path

import torch

from rnnkit.analysis.scalar import closed_form_gradient
from rnnkit.figures import plt, save_figure


def plot_gradient_flow(flow, jacobians: torch.Tensor | None, bound: torch.Tensor | None, path: Path,
                       title: str = "") -> None:
    """Left: ``||dL/dh_k||`` against the step k, one line per layer and direction.  Right, where
    given: the largest singular value of ``dh_T/dh_k`` against the distance T - k, and the
    lecture's bound ``(||W_hh|| max|f'|)^(T-k)`` (Elman cells)."""
    panels = 2 if jacobians is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.8), dpi=110, squeeze=False)
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
    fig, ax = plt.subplots(figsize=(5.2, 3.8), dpi=110)
    steps = list(range(1, length + 1))
    for w in weights:
        ax.semilogy(steps, [abs(closed_form_gradient(w, T, h0)) for T in steps], label=f"w = {w:g}")
    ax.set_xlabel("T (steps)")
    ax.set_ylabel("|dh_T / dw|")
    ax.set_title("h_t = w h_(t-1):  dh_T/dw = T w^(T-1) h_0", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path)
