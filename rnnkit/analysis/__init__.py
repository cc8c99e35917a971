"""Measuring why plain RNNs forget: gradient flow through time, the scalar example, gate
statistics, and their plots.  Sits above the models and below training (it trains nothing)."""
from rnnkit.analysis.gradient_flow import (GradientFlow, elman_bound, gradient_flow, jacobian_norms, last_state_loss,
                                           step_jacobians)
from rnnkit.analysis.scalar import autograd_gradient, closed_form_gradient, unrolled

__all__ = ["GradientFlow", "autograd_gradient", "closed_form_gradient", "elman_bound", "gradient_flow",
           "jacobian_norms", "last_state_loss", "step_jacobians", "unrolled"]
