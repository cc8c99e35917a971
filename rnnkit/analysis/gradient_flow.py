"""How the gradient of a loss flows back through time, measured on a real layer.

The loss at step T reaches the state of step k through the product of the step Jacobians
(the lectures' BPTT factor):

    dL/dh_k = dL/dh_T  prod_{j=k+1..T} dh_j/dh_(j-1),     ||dh_j/dh_(j-1)|| <= ||W_hh|| max|f'|

so that for an Elman RNN ``||dh_T/dh_k|| <= (||W_hh|| max|f'|)^(T-k)``: below 1 the gradient
vanishes geometrically with the distance, above 1 it may explode.  ``gradient_flow`` runs a layer
one step at a time (each step through the engine and its hand-derived backward) so that every
state is a node of the graph, and reads ``||dL/dh_k||`` for every step, layer and direction;
``jacobian_norms`` forms the products ``dh_T/dh_k`` themselves and gives their largest singular
values; ``elman_bound`` gives the lecture's bound.  For the LSTM the state is ``(h, c)``: its
Jacobians are those of ``h_T`` with respect to both, where the additive cell path shows.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from rnnkit import engine


@dataclass
class GradientFlow:
    """``norms [rows, T]``: the batch mean of ``||dL/dh_k||`` at every step k, one row per layer and
    direction (``rows`` names them: "layer 1 forward", ...), and ``loss``, the loss's value."""
    norms: torch.Tensor
    rows: list[str]
    loss: float

    def ratio(self, row: int = -1) -> float:
        """``||dL/dh_1|| / ||dL/dh_T||`` of a row (default: the last, the top layer's forward
        direction where the layer has one direction; its backward one otherwise, see ``top_forward``)."""
        norms = self.norms[row]
        return float(norms[0] / norms[-1])

    @property
    def top_forward(self) -> int:
        """The row of the top layer's forward direction."""
        return max(k for k, name in enumerate(self.rows) if name.endswith("forward"))


def last_state_loss(outputs: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """``L = 0.5 ||h_T||^2`` averaged over the batch (``h_T``: each sequence's last output)."""
    if lengths is None:
        last = outputs[-1]
    else:
        last = outputs[lengths.to(outputs.device) - 1, torch.arange(outputs.shape[1], device=outputs.device)]
    return 0.5 * last.pow(2).sum(-1).mean()


def gradient_flow(layer, x: torch.Tensor, loss=last_state_loss, lengths: torch.Tensor | None = None) -> GradientFlow:
    """The gradient of ``loss(outputs [T, B, D*H], lengths)`` with respect to every state of the
    ``rnnkit`` recurrent ``layer`` (any registered cell, stacked, bidirectional) run on ``x
    [T, B, input_size]`` from zero states, without dropout.  Steps past a sequence's length are
    masked as in the layer itself (their states carry the last one on)."""
    if x.dim() != 3 or x.shape[-1] != layer.input_size:
        raise ValueError(f"x must be [steps, batch, {layer.input_size}], got {list(x.shape)}")
    T, B = x.shape[:2]
    mask = None if lengths is None else engine.lengths_to_mask(lengths, T)
    directions = 2 if layer.bidirectional else 1
    states, rows = [], []
    inputs = x
    for number in range(layer.num_layers):
        outs = []
        for d in range(directions):
            params = layer.layer_params(number * directions + d)
            state = tuple(x.new_zeros(B, layer.hidden_size) for _ in range(layer.cell.num_states))
            row = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                step_mask = None if mask is None else mask[t : t + 1]
                _, state = engine.run(layer.cell, inputs[t : t + 1], params, state, mask=step_mask)
                state[0].retain_grad()
                row[t] = state[0]
            states.append(row)
            rows.append(f"layer {number + 1} {'backward' if d else 'forward'}")
            outs.append(torch.stack(row))
        inputs = outs[0] if directions == 1 else (torch.cat(outs, -1) if layer.merge == "concat" else outs[0] + outs[1])
    value = loss(inputs, lengths)
    value.backward()
    norms = torch.stack([torch.stack([(h.grad if h.grad is not None else torch.zeros_like(h)).norm(dim=-1).mean()
                                      for h in row]) for row in states])
    return GradientFlow(norms.detach(), rows, float(value.detach()))


def step_jacobians(layer, x: torch.Tensor) -> torch.Tensor:
    """``[T, B, S, S]``: the Jacobian of each step's state with respect to the state before it
    (S = H, or 2H for (h, c), h first), for the first layer's forward direction from zero states:
    ``J[t, b, i, j] = d s_t[i] / d s_(t-1)[j]``.  One backward pass per step: the state is copied
    S times and copy i is given the i-th unit vector as its gradient."""
    cell, params = layer.cell, layer.layer_params(0)
    H, n = layer.hidden_size, layer.cell.num_states
    size = n * H
    state = tuple(x.new_zeros(x.shape[1], H) for _ in range(n))
    identity = torch.eye(size, dtype=x.dtype, device=x.device)
    full = []
    for t in range(len(x)):
        prev = torch.cat(state, -1).detach()[None].expand(size, -1, -1).clone().requires_grad_(True)   # [S, N, S]
        parts = tuple(p.reshape(-1, H) for p in prev.split(H, -1))
        _, new = engine.run(cell, x[t : t + 1].repeat(1, size, 1), params, parts)
        flat = torch.cat(new, -1).view(size, -1, size)
        (rows,) = torch.autograd.grad(flat, prev, identity[:, None, :].expand_as(flat))
        full.append(rows.transpose(0, 1))                       # [N, S, S]: row i = d new_i / d prev
        state = tuple(s.view(size, -1, H)[0].detach() for s in new)
    return torch.stack(full)


def jacobian_norms(layer, x: torch.Tensor, samples: int = 8) -> torch.Tensor:
    """``[T]``: the largest singular value of ``dh_T/dh_k`` (for (h, c) states: of ``h_T`` with
    respect to the whole state ``s_k``) for k = 1..T, the mean over the first ``samples``
    sequences, for the first layer's forward direction; the last entry, k = T, is 1."""
    full = step_jacobians(layer, x[:, :samples])
    T, N, S, _ = full.shape
    H = layer.hidden_size
    product = torch.eye(S, dtype=x.dtype, device=x.device).expand(N, S, S)
    norms = [None] * T
    for k in range(T - 1, -1, -1):
        norms[k] = torch.linalg.matrix_norm(product[:, :H], ord=2).mean()
        product = product @ full[k]
    return torch.stack(norms)


def elman_bound(layer, T: int) -> torch.Tensor | None:
    """``[T]``: the lecture's bound ``(||W_hh||_2 max|f'|)^(T-k)`` on ``||dh_T/dh_k||`` for an
    Elman layer's first layer (max|f'| = 1 for tanh and ReLU); None for other cells."""
    if layer.cell.name not in ("rnn_tanh", "rnn_relu"):
        return None
    beta = torch.linalg.matrix_norm(layer.layer_params(0)["weight_hh"].detach().double(), ord=2)
    return beta ** torch.arange(T - 1, -1, -1, dtype=torch.float64)


FRESH = dict(hidden=128, inputs=32, batch=32)   # the fixed set-up of a freshly initialised cell


def fresh_layer(cell: str, seed: int = 0, hidden: int = FRESH["hidden"], inputs: int = FRESH["inputs"]):
    """A one-layer float64 ``Recurrent`` of ``cell`` (a family such as "lstm", a registered name such
    as "gru_before", or "irnn": the ReLU RNN with identity recurrent weights and zero biases, Le et
    al. 2015) with torch.nn's initialisation, except the LSTMs' forget-gate bias, 1 (``b_ih`` holds
    it, ``b_hh`` 0)."""
    from rnnkit.cells import form_name
    from rnnkit.layers import Recurrent

    name = "rnn_relu" if cell == "irnn" else form_name(cell)
    torch.manual_seed(seed)
    layer = Recurrent(name, inputs, hidden, dtype=torch.float64)
    with torch.no_grad():
        if cell == "irnn":
            layer.weight_hh_l0.copy_(torch.eye(hidden, dtype=torch.float64))
            layer.bias_ih_l0.zero_()
            layer.bias_hh_l0.zero_()
        elif layer.cell.family == "LSTM":
            layer.bias_ih_l0[hidden : 2 * hidden] = 1.0
            layer.bias_hh_l0[hidden : 2 * hidden] = 0.0
    return layer


def fresh_inputs(length: int, seed: int = 0, batch: int = FRESH["batch"], inputs: int = FRESH["inputs"]):
    """``[length, batch, inputs]`` float64 values from N(0, 1)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(length, batch, inputs, generator=generator, dtype=torch.float64)


def recurrent_layer_of(model: torch.nn.Module):
    """The first rnnkit recurrent layer of a model (its encoder, for a translation model)."""
    from rnnkit.layers import RNNBase

    layer = next((m for m in model.modules() if isinstance(m, RNNBase)), None)
    if layer is None:
        raise ValueError(f"{type(model).__name__} has no rnnkit recurrent layer")
    return layer


def model_inputs(model: torch.nn.Module, layer, length: int, seed: int = 0, batch: int = FRESH["batch"]):
    """Inputs for ``layer`` of a trained ``model``: the embeddings of uniformly drawn tokens where
    the model embeds tokens into the layer's input size, else values from N(0, 1); float64."""
    generator = torch.Generator().manual_seed(seed)
    embedding = getattr(model, "embedding", None)
    if isinstance(embedding, torch.nn.Embedding) and embedding.embedding_dim == layer.input_size:
        tokens = torch.randint(1, embedding.num_embeddings, (length, batch), generator=generator)
        with torch.no_grad():
            return embedding.weight.detach().double().cpu()[tokens]
    return torch.randn(length, batch, layer.input_size, generator=generator, dtype=torch.float64)
