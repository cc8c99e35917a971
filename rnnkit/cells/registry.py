"""The cell registry: one name per cell form, for every layer, model and command.

Built in: ``rnn_tanh``, ``rnn_relu`` (Elman), ``lstm``, ``lstm_ln`` (LayerNorm LSTM), ``gru``
(reset after the product, as torch) and ``gru_before`` (reset before it, Cho et al. 2014).
``register_cell`` adds a cell of your own: it runs in every layer and model through the
engine's Python loop (and in the C++ loop only where ``cell.native`` is true, which only the
built-in forms are).  ``form_name`` maps the flags of torch.nn-style layers and of run
directories written before the registry (``cell="gru", reset="before"``) onto these names.
"""
from __future__ import annotations

from rnnkit.cells.base import Cell
from rnnkit.cells.elman import Elman
from rnnkit.cells.gru import GRU, GRUResetBefore
from rnnkit.cells.lstm import LSTM, LayerNormLSTM

FAMILIES = ("RNN", "LSTM", "GRU")
_CELLS: dict[str, Cell] = {}


def register_cell(cell: Cell, *, replace: bool = False) -> Cell:
    """Make ``cell`` (an instance: cells are stateless) available under ``cell.name``."""
    if not isinstance(cell, Cell):
        raise TypeError(f"register_cell takes a rnnkit.cells.Cell instance, got {type(cell).__name__}")
    if not cell.name or not cell.name.isidentifier():
        raise ValueError(f"a cell needs a name made of letters, digits and underscores, got {cell.name!r}")
    if cell.family not in FAMILIES:
        raise ValueError(f"cell {cell.name!r}: family must be one of {FAMILIES} (the layer whose interface "
                         f"it has), got {cell.family!r}")
    if cell.family == "LSTM" and cell.num_states != 2 or cell.family != "LSTM" and cell.num_states != 1:
        raise ValueError(f"cell {cell.name!r}: an {cell.family} cell has {2 if cell.family == 'LSTM' else 1} "
                         f"state(s), got num_states={cell.num_states}")
    if cell.name in _CELLS and not replace:
        raise ValueError(f"a cell named {cell.name!r} is already registered (pass replace=True to replace it)")
    _CELLS[cell.name] = cell
    return cell


def unregister_cell(name: str) -> None:
    _CELLS.pop(name, None)


def get_cell(name: str) -> Cell:
    try:
        return _CELLS[name]
    except KeyError:
        raise ValueError(f"unknown cell {name!r}; registered cells: {', '.join(cell_names())}") from None


def cell_names() -> list[str]:
    return sorted(_CELLS)


def form_name(cell: str, *, nonlinearity: str | None = None, reset: str | None = None,
              layer_norm: bool | None = None) -> str:
    """The registry name of ``cell`` with the older flags: a family ("rnn", "lstm", "gru",
    any case) with ``nonlinearity``, ``reset`` or ``layer_norm``, or a registry name as it is."""
    family = cell.upper()
    flags = {"nonlinearity": nonlinearity, "reset": reset, "layer_norm": layer_norm}
    given = {k: v for k, v in flags.items() if v not in (None, False)}
    allowed = {"RNN": {"nonlinearity"}, "LSTM": {"layer_norm"}, "GRU": {"reset"}}.get(family, set())
    if set(given) - allowed:
        extra = ", ".join(f"{k}={v!r}" for k, v in given.items() if k not in allowed)
        raise ValueError(f"cell {cell!r} does not take {extra}")
    if family == "RNN":
        if (nonlinearity or "tanh") not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        return f"rnn_{nonlinearity or 'tanh'}"
    if family == "LSTM":
        return "lstm_ln" if layer_norm else "lstm"
    if family == "GRU":
        if (reset or "after") not in ("after", "before"):
            raise ValueError(f"reset must be 'after' or 'before', got {reset!r}")
        return "gru_before" if reset == "before" else "gru"
    get_cell(cell)
    return cell


def resolve(cell: str, options: dict) -> tuple[str, dict]:
    """``(registry name, other options)`` of a model's ``cell`` and recurrent ``options``, the
    older flags (``nonlinearity``, ``reset``, ``layer_norm``) folded into the name."""
    options = dict(options)
    flags = {k: options.pop(k) for k in ("nonlinearity", "reset", "layer_norm") if k in options}
    return form_name(cell, **flags), options


for _cell in (Elman("tanh"), Elman("relu"), LSTM(), LayerNormLSTM(), GRU(), GRUResetBefore()):
    register_cell(_cell)
