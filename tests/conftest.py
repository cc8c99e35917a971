import os

import pytest
import torch

from rnnkit.cells import make_cell
from rnnkit.engine import native

# Every cell family and form the engine runs: (layer mode, options).
CELL_CONFIGS = {
    "rnn_tanh": ("RNN", {"nonlinearity": "tanh"}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_ln": ("LSTM", {"layer_norm": True}),
    "gru": ("GRU", {"reset": "after"}),
    "gru_before": ("GRU", {"reset": "before"}),
}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _auto_device_is_the_cpu(request, monkeypatch):
    """The suite's expected results are the CPU's: ``--device auto`` means the CPU here, also on a
    machine with a GPU; tests/layers/test_cuda.py asks for the GPU by name."""
    if request.module.__name__ != "tests.layers.test_cuda":
        monkeypatch.setattr("rnnkit.devices._auto", lambda: torch.device("cpu"))


def cell_of(name):
    mode, options = CELL_CONFIGS[name]
    return make_cell(mode, **options)


def random_params(cell, D, H, dtype=torch.float64, bias=True, scale=0.5):
    """Parameters under torch.nn's names, with non-trivial LayerNorm gains/shifts."""
    G = cell.num_gates
    p = {"weight_ih": torch.randn(G * H, D, dtype=dtype) * scale,
         "weight_hh": torch.randn(G * H, H, dtype=dtype) * scale}
    if bias:
        p["bias_ih"] = torch.randn(G * H, dtype=dtype) * scale
        p["bias_hh"] = torch.randn(G * H, dtype=dtype) * scale
    for name, shape in cell.extra_shapes(H).items():
        p[name] = 1 + torch.randn(*shape, dtype=dtype) * 0.3
    return {k: v.requires_grad_() for k, v in p.items()}


def dropout_mask(B, H, p=0.4, dtype=torch.float64):
    return (torch.rand(B, H, dtype=dtype) > p).to(dtype) / (1 - p)


@pytest.fixture(params=["python", "native"])
def loop_impl(request):
    """Run a test on the Python time loop and again on the C++ one."""
    if request.param == "python":
        with native.disabled():
            yield "python"
        return
    if os.environ.get("RNNKIT_NATIVE") == "0":
        pytest.skip("RNNKIT_NATIVE=0 disables the C++ loop")
    assert native.get() is not None, "the C++ time loop failed to build"
    yield "native"


def pytest_collection_modifyitems(items):
    """The tests marked slow run first: with one worker a core (``make test``) the few long ones
    then start together and the many short ones even out the end, where a long test started last
    would run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
