"""The whole-sequence attention decoder (``rnnkit.engine.attention``): finite differences (float64)
of its hand-derived backward, and agreement with the plain autograd loop of the same equations
(``oracle.attention_decoder``) to 1e-10, on the C++ loop and on the Python one, for every score and every cell with a linear input
projection, with source padding, recurrent dropout masks and gradients through the weights."""
import pytest
import torch
from torch.autograd import gradcheck

from rnnkit.engine import attention, oracle
from tests.conftest import cell_of, random_params

T, B, S, E, D, H, A = 4, 3, 5, 3, 4, 3, 2
LINEAR_CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru", "gru_before"]


def problem(name, score, with_drop, seed=0):
    """Random float64 leaves: gold embeddings, the decoder layer, memory with padding, attention."""
    torch.manual_seed(seed)
    cell = cell_of(name)
    K = H if score == "general" else (A if score == "additive" else D)
    memory_size = H if score == "dot" else D
    leaves = {"x": torch.randn(T, B, E), "memory": torch.randn(S, B, memory_size),
              "w_c": torch.randn(H, memory_size + H) * 0.5, "feed0": torch.randn(B, H) * 0.5,
              **random_params(cell, E + H, H, dtype=torch.float32)}
    if score != "dot":
        leaves["w_key"] = torch.randn(K, memory_size) * 0.5
    if score == "additive":
        leaves |= {"b_key": torch.randn(K) * 0.5, "w_q": torch.randn(A, H) * 0.5, "v": torch.randn(1, A)}
    leaves |= {f"state{k}": torch.randn(B, H) * 0.5 for k in range(cell.num_states)}
    leaves = {k: v.double().requires_grad_() for k, v in leaves.items()}
    mask = torch.ones(S, B, dtype=torch.bool)
    mask[3:, 1] = mask[1:, 2] = False                        # two padded sources, one of length 1
    drop = (torch.rand(T, B, H, dtype=torch.float64) > 0.4).double() / 0.6 if with_drop else None
    return cell, leaves, mask, drop


def engine_decode(cell, score, leaves, mask, drop):
    p = {k: v for k, v in leaves.items() if k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    x_part = {**p, "weight_ih": p["weight_ih"][:, :E]}
    P = cell.project_input(leaves["x"], x_part)
    keys = None
    if score != "dot":
        keys = torch.nn.functional.linear(leaves["memory"], leaves["w_key"], leaves.get("b_key"))
    states0 = [leaves[f"state{k}"] for k in range(cell.num_states)]
    return attention.decode(cell, score, P, p["weight_ih"][:, E:], p, leaves["memory"], keys, mask,
                            leaves["w_c"], leaves["feed0"], states0, w_q=leaves.get("w_q"), v=leaves.get("v"),
                            drop=drop)


def oracle_decode(name, score, leaves, mask, drop):
    p = {k: v for k, v in leaves.items() if k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    states0 = [leaves[f"state{k}"] for k in range(cell_of(name).num_states)]
    return oracle.attention_decoder(name, score, leaves["x"], p, leaves["memory"], mask, leaves["w_c"],
                                    leaves["feed0"], states0, w_key=leaves.get("w_key"), b_key=leaves.get("b_key"),
                                    w_q=leaves.get("w_q"), v=leaves.get("v"), drop=drop)


def loss_of(out):
    """A loss that weighs every output and attention weight differently."""
    feeds, alpha = out
    return (feeds * torch.linspace(-1, 2, feeds.numel(), dtype=feeds.dtype).view_as(feeds)).sum() + \
        (alpha ** 2 * torch.linspace(0.5, 1.5, alpha.numel(), dtype=alpha.dtype).view_as(alpha)).sum()


@pytest.mark.parametrize("score", ["dot", "general", "additive"])
@pytest.mark.parametrize("name", LINEAR_CELLS)
@pytest.mark.parametrize("with_drop", [False, True], ids=["nodrop", "recdrop"])
def test_equals_the_autograd_loop(name, score, with_drop, loop_impl):
    cell, leaves, mask, drop = problem(name, score, with_drop)
    ours, reference = engine_decode(cell, score, leaves, mask, drop), oracle_decode(name, score, leaves, mask, drop)
    for a, b in zip(ours, reference):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)
    assert (ours[1][:, 1, 3:] == 0).all() and torch.allclose(ours[1].sum(-1), torch.ones(T, B, dtype=torch.float64))
    mine = torch.autograd.grad(loss_of(ours), list(leaves.values()))
    theirs = torch.autograd.grad(loss_of(reference), list(leaves.values()))
    for key, a, b in zip(leaves, mine, theirs):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10, msg=lambda m: f"d{key}: {m}")


@pytest.mark.parametrize("score", ["dot", "general", "additive"])
@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_gradcheck(name, score, loop_impl):
    cell, leaves, mask, drop = problem(name, score, with_drop=True, seed=1)
    names = list(leaves)

    def f(*values):
        return engine_decode(cell, score, dict(zip(names, values)), mask, drop)

    assert gradcheck(f, tuple(leaves.values()), eps=1e-6, atol=1e-7)


def test_an_unknown_score_is_refused():
    cell = cell_of("lstm")
    p = random_params(cell, E + H, H)
    with pytest.raises(ValueError, match="score must be one of"):
        attention.decode(cell, "cosine", torch.zeros(T, B, 4 * H), p["weight_ih"][:, E:], p, torch.zeros(S, B, H),
                         None, torch.ones(S, B, dtype=torch.bool), torch.zeros(H, 2 * H), torch.zeros(B, H),
                         [torch.zeros(B, H)] * 2)


@pytest.mark.parametrize("score", ["general", "additive"])
def test_the_registered_operator(score, monkeypatch):
    """``torch.ops.rnnkit.attention_decoder``: torch's operator checks (schema, fake implementation,
    autograd registration), and its gradients equal the Function's."""
    cell, leaves, mask, drop = problem("lstm", score, with_drop=True, seed=2)
    eager = engine_decode(cell, score, leaves, mask, drop)
    eager_grads = torch.autograd.grad(loss_of(eager), list(leaves.values()))
    monkeypatch.setattr(attention, "tracing", lambda: True)
    traced = engine_decode(cell, score, leaves, mask, drop)
    traced_grads = torch.autograd.grad(loss_of(traced), list(leaves.values()))
    for a, b in zip((*eager, *eager_grads), (*traced, *traced_grads)):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)
    p = {k: v for k, v in leaves.items() if k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    P = cell.project_input(leaves["x"], {**p, "weight_ih": p["weight_ih"][:, :E]}).detach().requires_grad_()
    keys = torch.nn.functional.linear(leaves["memory"], leaves["w_key"], leaves.get("b_key")).detach().requires_grad_()
    torch.library.opcheck(torch.ops.rnnkit.attention_decoder.default, (
        "lstm", score, P, p["weight_ih"][:, E:].detach().requires_grad_(), p["weight_hh"], None, drop,
        leaves["memory"], keys, mask, leaves["w_c"], leaves.get("w_q"), leaves.get("v"), leaves["feed0"],
        [leaves["state0"], leaves["state1"]], []))
