"""Whether torch.export or torch.compile is tracing the current call: the engine then runs as its
registered operators and plain torch ops, which tracers can see, instead of C++ calls they cannot."""
from __future__ import annotations

import torch


def tracing() -> bool:
    return torch.compiler.is_compiling() or torch.compiler.is_exporting()
