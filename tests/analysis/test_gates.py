"""Gate statistics against hand-counted cases, and on a real trace."""
import pytest
import torch

from rnnkit.analysis.gates import format_gate_statistics, gate_statistics, kept_after
from rnnkit.layers import Recurrent
from rnnkit.layers.trace import Trace


def test_saturation_shares_and_the_memory_of_a_known_trace():
    T, H = 6, 4
    f = torch.full((1, T, 1, H), 0.5)
    i = torch.tensor([0.05, 0.5, 0.95, 0.5]).expand(1, T, 1, H)       # one unit shut, one open
    g = torch.tensor([-0.95, 0.0, 0.0, 0.99]).expand(1, T, 1, H)
    trace = Trace(h=torch.zeros(1, T, 1, H), c=torch.zeros(1, T, 1, H), gates={"i": i, "f": f, "g": g})
    stats = gate_statistics(trace, "LSTM")
    assert stats.gates["i"]["low"] == 0.25 and stats.gates["i"]["high"] == 0.25
    assert stats.gates["g"]["low"] == 0.25 and stats.gates["g"]["high"] == 0.25
    assert stats.gates["f"]["low"] == 0 and stats.gates["f"]["mean"] == 0.5
    torch.testing.assert_close(stats.gates["i"]["by_unit"], torch.tensor([1.0, 0, 1, 0], dtype=torch.float64))
    torch.testing.assert_close(stats.gates["i"]["by_position"], torch.full((T,), 0.5, dtype=torch.float64))
    torch.testing.assert_close(stats.retention, 0.5 ** torch.arange(1, T, dtype=torch.float64))
    assert stats.keep_gate == "f" and "0.5 after 1" in format_gate_statistics(stats)
    with pytest.raises(ValueError, match="no gates"):
        gate_statistics(Trace(h=torch.zeros(1, 2, 1, 1)), "RNN")


def test_the_memory_of_varying_gates_is_the_mean_product_over_each_window():
    keep = torch.tensor([0.9, 0.5, 0.8, 1.0], dtype=torch.float64).view(1, 4, 1, 1)
    kept = kept_after(keep, 10)
    # d = 1: mean of f_1, f_2, f_3; d = 2: mean of f_1 f_2, f_2 f_3; d = 3: f_1 f_2 f_3
    expected = torch.tensor([(0.5 + 0.8 + 1.0) / 3, (0.4 + 0.8) / 2, 0.4], dtype=torch.float64)
    torch.testing.assert_close(kept, expected)


def test_a_gru_trace_measures_its_update_gate():
    torch.manual_seed(0)
    layer = Recurrent("gru", 3, 5)
    stats = gate_statistics(layer.trace(torch.randn(12, 1, 3)), "GRU")
    assert set(stats.gates) == {"r", "z", "n"} and stats.keep_gate == "z" and len(stats.retention) == 11
    assert bool((stats.retention[1:] <= stats.retention[:-1]).all())     # a product of factors in (0, 1)
