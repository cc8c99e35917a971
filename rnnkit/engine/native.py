"""The C++ time loop (``native/loop.cpp``), compiled on first use and cached.

The build uses ``torch.utils.cpp_extension.load`` with ninja into torch's extension cache
(``$TORCH_EXTENSIONS_DIR``, default ``~/.cache/torch_extensions``); it never installs anything,
so pip cannot fetch a second torch.  If the build fails, or ``RNNKIT_NATIVE=0`` is set, the
engine runs its Python loop (``rnnkit.engine.loop``), which is also the reference the tests
hold the C++ loop to.  CPU tensors only; other devices use the Python loop.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import threading
import warnings
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("native") / "loop.cpp"
CELL_IDS = {"rnn_tanh": 0, "rnn_relu": 1, "lstm": 2, "lstm_ln": 3, "gru_after": 4, "gru_before": 5}

_lock = threading.Lock()
_module = None
_failed = False
_disabled = os.environ.get("RNNKIT_NATIVE", "1") == "0"


def _flags() -> list[str]:
    """Vector code for the CPU torch itself uses (AVX2 also on AVX-512 machines: the rows
    are short, and it avoids AVX-512 frequency drops); plain C++ elsewhere."""
    flags = ["-O3", "-std=c++20", "-fopenmp"]   # -fopenmp: at::parallel_for is an inline omp pragma
    if torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512"):
        flags += ["-mavx2", "-mfma", "-mf16c", "-DCPU_CAPABILITY=AVX2", "-DCPU_CAPABILITY_AVX2"]
    else:
        flags += ["-DCPU_CAPABILITY=DEFAULT", "-DCPU_CAPABILITY_DEFAULT"]
    return flags


def _build():
    from torch.utils import cpp_extension

    if shutil.which("ninja") is None:   # installed with rnnkit into the environment's bin/
        os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    flags = _flags()
    digest = hashlib.sha1((SOURCE.read_text() + " ".join(flags) + torch.__version__).encode()).hexdigest()[:10]
    name = f"rnnkit_loop_{digest}"
    cached = (Path(cpp_extension._get_build_directory(name, verbose=False)) / f"{name}.so").exists()
    if not cached:
        print("rnnkit: compiling the C++ time loop (once per machine, about a minute) ...", file=sys.stderr)
    module = cpp_extension.load(name=name, sources=[str(SOURCE)], extra_cflags=flags,
                                extra_ldflags=["-fopenmp"], verbose=False)
    if not cached:
        print("rnnkit: C++ time loop ready", file=sys.stderr)
    return module


def get():
    """The compiled module, or None where it is disabled or could not be built."""
    global _module, _failed
    if _disabled or _failed:
        return None
    if _module is None:
        with _lock:
            if _module is None and not _failed:
                try:
                    _module = _build()
                except Exception as e:  # no compiler, no headers: run the Python loop instead
                    _failed = True
                    warnings.warn(f"rnnkit: the C++ time loop could not be built ({type(e).__name__}: "
                                  f"{str(e).strip().splitlines()[-1] if str(e).strip() else e}); "
                                  "using the slower Python loop", stacklevel=3)
    return _module


def usable(xg: torch.Tensor) -> bool:
    """Whether this call can run on the C++ loop."""
    return xg.device.type == "cpu" and xg.dtype in (torch.float32, torch.float64) and get() is not None


@contextlib.contextmanager
def disabled():
    """Run the Python loop inside this block (the reference, for tests and comparisons)."""
    global _disabled
    before, _disabled = _disabled, True
    try:
        yield
    finally:
        _disabled = before


def forward(cell, xg, w_hh, b_hh, states0, mask, drop, reverse, extras):
    """``(out, final_states, saved)``; ``saved`` goes back to ``backward`` untouched."""
    return get().forward(CELL_IDS[cell.name], xg, w_hh, b_hh, list(states0), mask, drop, reverse, list(extras))


def backward(cell, xg, w_hh, b_hh, states0, mask, drop, reverse, extras, saved, dout, dfinal):
    """``(dxg, dw_hh, db_hh, dstates0, dextras)``."""
    return get().backward(CELL_IDS[cell.name], xg, w_hh, b_hh, list(states0), mask, drop, reverse,
                          list(extras), list(saved), dout.contiguous(), [d.contiguous() for d in dfinal])
