"""Recurrent cell families: step equations and their hand-derived backward as plain tensor
functions (no module state), and the registry that names every form.  ``rnnkit.engine`` runs
them over whole sequences."""
from rnnkit.cells.base import Cell
from rnnkit.cells.elman import Elman
from rnnkit.cells.gru import GRU, GRUResetBefore
from rnnkit.cells.lstm import LSTM, LayerNormLSTM
from rnnkit.cells.registry import cell_names, form_name, get_cell, register_cell, resolve, unregister_cell

__all__ = ["Cell", "Elman", "GRU", "GRUResetBefore", "LSTM", "LayerNormLSTM", "cell_names", "form_name", "get_cell",
           "make_cell", "register_cell", "resolve", "unregister_cell"]


def make_cell(mode: str, *, nonlinearity: str = "tanh", reset: str = "after", layer_norm: bool = False) -> Cell:
    """The registered cell for a layer ``mode`` ("RNN", "LSTM" or "GRU") and its options."""
    if mode not in ("RNN", "LSTM", "GRU"):
        raise ValueError(f"unknown recurrent mode {mode!r}; expected 'RNN', 'LSTM' or 'GRU'")
    flags = {"RNN": dict(nonlinearity=nonlinearity), "LSTM": dict(layer_norm=layer_norm), "GRU": dict(reset=reset)}
    return get_cell(form_name(mode, **flags[mode]))
