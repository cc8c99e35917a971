"""Recurrent cell families: step equations and their hand-derived backward as plain tensor
functions (no module state).  ``rnnkit.engine`` runs them over whole sequences."""
from rnnkit.cells.base import Cell
from rnnkit.cells.elman import Elman
from rnnkit.cells.gru import GRU
from rnnkit.cells.lstm import LSTM, LayerNormLSTM

__all__ = ["Cell", "Elman", "GRU", "LSTM", "LayerNormLSTM", "make_cell"]


def make_cell(mode: str, *, nonlinearity: str = "tanh", reset: str = "after",
              layer_norm: bool = False) -> Cell:
    """The cell family for a layer ``mode`` ("RNN", "LSTM" or "GRU") and its options."""
    if mode == "RNN":
        return Elman(nonlinearity)
    if mode == "LSTM":
        return LayerNormLSTM() if layer_norm else LSTM()
    if mode == "GRU":
        return GRU(reset)
    raise ValueError(f"unknown recurrent mode {mode!r}; expected 'RNN', 'LSTM' or 'GRU'")
