"""Which device runs a model: ``--device auto|cpu|cuda|cuda:N`` and ``rnnkit.load(device=...)``,
and moving batches there.  ``auto`` is the first CUDA GPU where one is available, else the CPU."""
from __future__ import annotations

import torch

from rnnkit.errors import RnnkitError


def resolve_device(spec: str | torch.device | None = "auto") -> torch.device:
    """The device named by ``spec``; a clear error where it does not exist on this machine."""
    if isinstance(spec, torch.device):
        return spec
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return _auto()
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise RnnkitError(f"unknown device {spec!r}; expected auto, cpu, cuda or cuda:N") from None
    if device.type not in ("cpu", "cuda"):
        raise RnnkitError(f"unsupported device {spec!r}; expected auto, cpu, cuda or cuda:N")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RnnkitError(f"device {spec!r}: this machine has no CUDA GPU that torch can use "
                              "(use --device cpu, or auto)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise RnnkitError(f"device {spec!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                              f"numbered from 0")
    return device


def _auto() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_of(model) -> torch.device:
    """Where a model's parameters are (the CPU for a model without any)."""
    first = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    return first.device if first is not None else torch.device("cpu")


def to_device(obj, device: torch.device):
    """``obj`` with every tensor in it (in tuples, lists, dicts and named tuples) on ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(to_device(x, device) for x in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(to_device(x, device) for x in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj
