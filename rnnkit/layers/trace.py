"""What ``trace()`` returns: every state and every activated gate, step by step."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Trace:
    """Per-step internals of a recurrent layer.

    ``h`` and ``c`` (LSTM only, else None) are ``[num_layers * num_directions, T, B, hidden]``
    (``B`` is dropped for unbatched input); ``gates`` maps a gate name to a tensor of the same
    shape holding the activated gate (LSTM: i, f, g, o; GRU: r, z, n; RNN: none).  Steps past
    a sequence's length are 0.  Rows are ordered layer by layer, forward direction first.
    """

    h: torch.Tensor
    c: torch.Tensor | None = None
    gates: dict[str, torch.Tensor] = field(default_factory=dict)

    def __repr__(self) -> str:
        gates = ", ".join(self.gates) or "none"
        c = "" if self.c is None else f", c={list(self.c.shape)}"
        return f"Trace(h={list(self.h.shape)}{c}, gates: {gates})"
