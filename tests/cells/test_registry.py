"""The cell registry: names for every form, the older flags mapped onto them, and a cell of
one's own that exists only in Python, run by the engine's Python loop wherever rnnkit runs cells."""
import pytest
import torch

import rnnkit
from rnnkit import engine
from rnnkit.cells import (Cell, Elman, GRU, GRUResetBefore, LSTM, LayerNormLSTM, cell_names, form_name, get_cell,
                          register_cell, unregister_cell)
from rnnkit.engine import native
from rnnkit.models import LanguageModel


class Softsign(Cell):
    """An Elman cell with ``h_t = a / (1 + |a|)``, ``a = W_ih x + b_ih + W_hh h_{t-1} + b_hh``;
    ``dh/da = (1 - |h|)^2``.  Only in Python: the C++ loop does not know it."""
    name = "rnn_softsign"
    family = "RNN"

    def step(self, buf, t, xg_t, u, prev, new, w_hh, b_hh, extras):
        (h,) = new
        a = torch.addmm(xg_t, u, w_hh.t())
        torch.div(a, 1 + a.abs(), out=h)

    def step_backward(self, buf, bbuf, t, dnew, prev, new, u, w_hh, b_hh, extras, dxg_t):
        (dh,), (h,) = dnew, new
        torch.mul(dh, (1 - h.abs()) ** 2, out=dxg_t)
        return (None,), dxg_t.mm(w_hh)


@pytest.fixture
def softsign():
    cell = register_cell(Softsign())
    yield cell
    unregister_cell(cell.name)


def test_every_built_in_form_has_a_name():
    assert set(cell_names()) >= {"rnn_tanh", "rnn_relu", "lstm", "lstm_ln", "gru", "gru_before"}
    assert type(get_cell("gru")) is GRU and type(get_cell("gru_before")) is GRUResetBefore   # two classes
    assert type(get_cell("lstm")) is LSTM and type(get_cell("lstm_ln")) is LayerNormLSTM
    assert isinstance(get_cell("rnn_relu"), Elman)
    assert all(get_cell(n).native for n in ("rnn_tanh", "rnn_relu", "lstm", "lstm_ln", "gru", "gru_before"))


@pytest.mark.parametrize("cell,flags,name", [
    ("rnn", {}, "rnn_tanh"), ("RNN", {"nonlinearity": "relu"}, "rnn_relu"), ("lstm", {}, "lstm"),
    ("lstm", {"layer_norm": True}, "lstm_ln"), ("gru", {"reset": "after"}, "gru"),
    ("gru", {"reset": "before"}, "gru_before"), ("gru_before", {}, "gru_before"),
])
def test_older_flags_name_a_form(cell, flags, name):
    assert form_name(cell, **flags) == name


def test_older_model_options_load_as_the_registered_form():
    """config.json files written before the registry say cell="gru", reset="before"."""
    for options, name in ((dict(cell="gru", reset="before"), "gru_before"), (dict(cell="lstm", layer_norm=True),
                                                                             "lstm_ln"),
                          (dict(cell="rnn", nonlinearity="relu"), "rnn_relu")):
        model = LanguageModel(7, embedding_dim=4, hidden_size=6, **options)
        assert model.rnn.cell.name == name and model.config["cell"] == name


def test_unknown_names_and_flags_are_clear_errors():
    with pytest.raises(ValueError, match="unknown cell 'transformer'; registered cells: .*gru_before"):
        LanguageModel(7, cell="transformer")
    with pytest.raises(ValueError, match="cell 'gru' does not take layer_norm=True"):
        form_name("gru", layer_norm=True)
    with pytest.raises(ValueError, match="already registered"):
        register_cell(GRU())
    with pytest.raises(ValueError, match="family must be one of"):
        register_cell(type("NoFamily", (Softsign,), {"family": "", "name": "odd"})())


def plain_loop(x, p, h):
    """The softsign cell as the straightforward autograd loop."""
    out = []
    for x_t in x:
        a = x_t @ p["weight_ih"].t() + p["bias_ih"] + h @ p["weight_hh"].t() + p["bias_hh"]
        h = a / (1 + a.abs())
        out.append(h)
    return torch.stack(out), h


def test_a_python_only_cell_runs_on_the_cpu_without_the_cpp_loop(softsign, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the C++ loop was asked to run a cell it does not have")

    monkeypatch.setattr(native, "forward", refuse)
    assert not native.usable(torch.zeros(1), softsign)
    torch.manual_seed(0)
    layer = rnnkit.layers.Recurrent("rnn_softsign", 3, 5, dtype=torch.float64)
    p = {k.removesuffix("_l0"): v for k, v in layer.named_parameters()}
    x = torch.randn(6, 2, 3, dtype=torch.float64, requires_grad=True)
    out, h_n = layer(x)
    ref, ref_h = plain_loop(x, p, torch.zeros(2, 5, dtype=torch.float64))
    assert torch.allclose(out, ref, atol=1e-12) and torch.allclose(h_n[0], ref_h, atol=1e-12)
    g = torch.autograd.grad(out.sum(), [x, *p.values()])
    g_ref = torch.autograd.grad(ref.sum(), [x, *p.values()])
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(g, g_ref))
    params = {k: v.detach().clone().requires_grad_() for k, v in p.items()}
    assert torch.autograd.gradcheck(
        lambda x, *w: engine.run(softsign, x, dict(zip(params, w)), (torch.zeros(2, 5, dtype=torch.float64),))[0],
        (x, *params.values()))


def test_a_python_only_cell_trains_a_language_model(softsign):
    torch.manual_seed(0)
    model = LanguageModel(6, embedding_dim=8, hidden_size=16, cell="rnn_softsign")
    data = torch.tensor([i % 5 + 1 for i in range(81)])
    tokens, targets = data[:-1].view(20, 4), data[1:].view(20, 4)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    losses = []
    for _ in range(60):
        nats, count, _ = model.loss(tokens, targets)
        optimizer.zero_grad()
        (nats / count).backward()
        optimizer.step()
        losses.append(float(nats.detach()) / count)
    assert losses[-1] < 0.5 * losses[0]


def test_the_command_line_trains_and_samples_a_registered_cell(softsign, tmp_path, capsys):
    from rnnkit.cli.main import main

    (tmp_path / "t.txt").write_text("abcabcabd\n" * 30)
    assert main(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "r"), "--cell",
                 "rnn_softsign", "--layers", "1", "--hidden", "16", "--bptt", "10", "--batch-size", "4",
                 "--epochs", "1"]) == 0
    assert rnnkit.load(tmp_path / "r").rnn.cell is softsign
    assert main(["generate", str(tmp_path / "r"), "--prime", "ab", "--length", "12"]) == 0
    assert capsys.readouterr().out.startswith("ab")
    assert main(["train", "lm", "--text", str(tmp_path / "t.txt"), "--out", str(tmp_path / "r2"), "--cell",
                 "rnn_softsign", "--layer-norm"]) == 2
