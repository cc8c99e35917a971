"""Whole-sequence backpropagation through time for any ``rnnkit.cells`` family.

``run`` executes one layer in one direction with the hand-derived backward; ``oracle.run``
is the plain autograd loop of the same equations that the tests hold it to.
"""
from rnnkit.engine.function import Recurrence, lengths_to_mask, run, run_traced
from rnnkit.engine.tracing import tracing

__all__ = ["Recurrence", "lengths_to_mask", "run", "run_traced", "tracing"]
