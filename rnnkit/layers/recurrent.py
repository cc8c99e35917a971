"""``rnnkit.RNN``, ``LSTM`` and ``GRU``: drop-in for the torch.nn layers, run by rnnkit's engine.

Same constructor, forward, parameter names, shapes and initialisation as torch.nn, so
``load_state_dict`` works both ways with ``strict=True``.  Keyword-only extras:

- ``lengths=`` in ``forward``: a padded batch of variable-length sequences, no sorting or
  packing; steps past a sequence's end give zeros and ``h_n`` is the state at its last step.
- ``recurrent_dropout``: variational dropout on ``h_{t-1}`` in the recurrent product, one
  mask per sequence and layer (Gal & Ghahramani 2016), only in training mode.
- ``layer_norm`` (LSTM): the LayerNorm LSTM of Ba et al. 2016 (``rnnkit.cells.lstm``).
- ``reset`` (GRU): "after" (torch/cuDNN) or "before" (Cho et al. 2014).
- ``merge``: "concat" (torch) or "sum" of the two directions' outputs, at every layer.
- ``backend``: "engine" (rnnkit's BPTT engine, whose time loop runs in C++ where
  ``rnnkit.engine.native`` is built), "torch" (torch's own fused kernel, standard cells only) or
  "auto" (torch's kernel where it exists and is the faster, the engine for everything torch.nn
  lacks).  "native", this option's old name for torch's kernel, still works with a
  DeprecationWarning: "native" in rnnkit means its own compiled code.
- ``trace()``: every state and activated gate (``rnnkit.Trace``).

``Recurrent(cell, ...)`` is the same layer for any registered cell (``rnnkit.cells.registry``),
a cell of your own included.
"""
from __future__ import annotations

import numbers
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnnkit import engine
from rnnkit.cells import form_name, get_cell
from rnnkit.engine.step import StepWeights, cached_weights, step
from rnnkit.layers.params import init_cell_parameters, register_cell_parameters
from rnnkit.layers.trace import Trace

BACKENDS = ("auto", "engine", "torch")
TORCH_MIN_WORK = 16   # steps * sequences of a call before "auto" hands an LSTM to torch's kernel
MERGES = ("concat", "sum")
_TORCH_KERNELS = {"rnn_tanh": torch.rnn_tanh, "rnn_relu": torch.rnn_relu, "lstm": torch.lstm, "gru": torch.gru}


def _is_probability(p) -> bool:
    return isinstance(p, numbers.Number) and not isinstance(p, bool) and p >= 0


class RNNBase(nn.Module):
    """The multi-layer, optionally bidirectional recurrent layer of any registered ``cell``,
    shared by RNN, LSTM, GRU and Recurrent."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, *,
                 recurrent_dropout: float = 0.0, merge: str = "concat", backend: str = "auto"):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not _is_probability(dropout) or dropout > 1:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        if not _is_probability(recurrent_dropout) or recurrent_dropout >= 1:
            raise ValueError(f"recurrent_dropout must be a probability in [0, 1), got {recurrent_dropout!r}")
        if merge not in MERGES:
            raise ValueError(f"merge must be one of {MERGES}, got {merge!r}")
        if backend == "native":
            warnings.warn("backend='native' is now backend='torch' (torch's own kernel; rnnkit's compiled loop is "
                          "rnnkit.engine.native, used by backend='engine'); 'native' will be removed",
                          DeprecationWarning, stacklevel=3)
            backend = "torch"
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout applies between stacked layers only; with num_layers=1 it "
                          f"does nothing (got dropout={dropout})", stacklevel=3)
        self.cell = get_cell(cell)
        self.mode = self.cell.family
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.bidirectional = bias, batch_first, bidirectional
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.merge, self.backend = merge, backend
        self.proj_size = 0
        if backend == "torch" and (not self._torch_has_cell() or recurrent_dropout):
            raise ValueError(f"backend='torch' runs torch's own kernels, which have no "
                             f"{self._extras_in_use()}; use backend='engine' or 'auto'")
        directions = 2 if bidirectional else 1
        self._param_names: list[dict[str, str]] = []   # [layer * directions + d]: generic -> attribute
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * (directions if merge == "concat" else 1)
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                self._param_names.append(register_cell_parameters(
                    self, self.cell, layer_input, hidden_size, bias, suffix, device, dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch.nn's initialisation (``rnnkit.layers.params.init_cell_parameters``)."""
        for k in range(len(self._param_names)):
            init_cell_parameters(self.layer_params(k), self.cell, self.hidden_size)

    def flatten_parameters(self) -> None:
        """No-op, for code written against torch.nn (cuDNN weight flattening)."""

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        return [[getattr(self, attr) for attr in names.values()] for names in self._param_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = dict(num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False,
                        recurrent_dropout=0.0, merge="concat", backend="auto")
        for name, default in defaults.items():
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)!r}"
        if self.cell.name not in ("rnn_tanh", "lstm", "gru"):
            s += f", cell={self.cell.name!r}"
        return s

    # -- input checking -------------------------------------------------------------------
    def _extras_in_use(self) -> str:
        used = [f"cell {self.cell.name!r}"] if self.cell.name not in _TORCH_KERNELS else []
        if self.recurrent_dropout:
            used.append("recurrent_dropout")
        if self.merge != "concat":
            used.append(f"merge={self.merge!r}")
        return ", ".join(used)

    def _torch_has_cell(self) -> bool:
        return self.cell.name in _TORCH_KERNELS and self.merge == "concat"

    def _check_input(self, x: torch.Tensor) -> None:
        weight = self.weight_ih_l0
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"input must be a tensor or PackedSequence, got {type(x).__name__}")
        if x.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: expected input of shape "
                             f"{self._layout()} (3-D) or [time, {self.input_size}] (unbatched, 2-D), "
                             f"got {list(x.shape)} ({x.dim()}-D)")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: input.size(-1) must equal input_size: expected "
                             f"{self._layout()}, got {list(x.shape)}")
        if x.dtype != weight.dtype:
            raise TypeError(f"{type(self).__name__}: input dtype {x.dtype} does not match the "
                            f"parameters' dtype {weight.dtype}; convert the input with "
                            f"input.to({weight.dtype}) or the layer with .to({x.dtype})")
        if x.numel() == 0:
            raise ValueError(f"{type(self).__name__}: input has an empty time or batch dimension: {list(x.shape)}")

    def _layout(self) -> str:
        return (f"[batch, time, {self.input_size}]" if self.batch_first
                else f"[time, batch, {self.input_size}]")

    def _check_lengths(self, lengths, T: int, B: int, device) -> torch.Tensor:
        lengths = torch.as_tensor(lengths)
        if lengths.dim() != 1 or lengths.shape[0] != B:
            raise ValueError(f"lengths must be a 1-D tensor with one length per sequence: expected "
                             f"shape [{B}], got {list(lengths.shape)}")
        if lengths.dtype.is_floating_point or lengths.dtype == torch.bool:
            raise TypeError(f"lengths must be an integer tensor, got {lengths.dtype}")
        if not engine.tracing() and len(lengths) and (lengths.min() < 0 or lengths.max() > T):   # values: eager only
            raise ValueError(f"lengths must lie in [0, {T}] (the number of time steps), got "
                             f"min {int(lengths.min())}, max {int(lengths.max())}")
        return lengths.to(device=device, dtype=torch.long)

    def _initial_states(self, hx, B: int, batched: bool, like: torch.Tensor) -> tuple[torch.Tensor, ...]:
        rows = self.num_layers * (2 if self.bidirectional else 1)
        expected = (rows, B, self.hidden_size)
        n = self.cell.num_states
        if hx is None:
            return tuple(like.new_zeros(expected) for _ in range(n))
        states = tuple(hx) if n == 2 else (hx,)
        if n == 2 and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{type(self).__name__}: hx must be a tuple (h_0, c_0)")
        out = []
        for name, s in zip(("h_0", "c_0"), states):
            if not isinstance(s, torch.Tensor):
                raise TypeError(f"{type(self).__name__}: {name} must be a tensor, got {type(s).__name__}")
            if not batched:
                if s.dim() != 2:
                    raise ValueError(f"{type(self).__name__}: for unbatched 2-D input, {name} must be 2-D "
                                     f"{[rows, self.hidden_size]}, got {list(s.shape)}")
                s = s.unsqueeze(1)
            if tuple(s.shape) != expected:
                raise ValueError(f"{type(self).__name__}: expected {name} of shape {list(expected)} "
                                 f"(layers * directions, batch, hidden_size), got {list(s.shape)}")
            if s.dtype != like.dtype:
                raise TypeError(f"{type(self).__name__}: {name} dtype {s.dtype} does not match the "
                                f"input dtype {like.dtype}")
            out.append(s)
        return tuple(out)

    # -- forward --------------------------------------------------------------------------
    def forward(self, input, hx=None, *, lengths=None):
        """``input`` ``[T, B, D]`` (``[B, T, D]`` if batch_first), ``[T, D]`` unbatched, or a
        PackedSequence.  Returns ``(output, h_n)``, LSTM ``(output, (h_n, c_n))``, as torch.nn."""
        x, states0, lengths, restore = self._prepare(input, hx, lengths)
        if self.uses_torch_kernel(x, lengths):
            out, finals = self._forward_torch(x, states0, lengths)
        else:
            mask = None if lengths is None else engine.lengths_to_mask(lengths, x.shape[0])
            out, finals, _ = self._run_layers(x, states0, mask)
        return restore(out, finals)

    def step(self, input: torch.Tensor, hx=None, *, projected: bool = False):
        """One time step on the lean step (``rnnkit.engine.step``): ``input [B, input_size]`` ->
        ``(output [B, H * directions], h_n)`` (LSTM ``(output, (h_n, c_n))``), what ``forward``
        gives for a sequence of one step without its time dimension, without ``forward``'s
        per-call work.  ``projected``: ``input`` is already layer 0's input projection (what
        ``cell.project_input`` gives, bias included; ``[B, G * H]``, the directions' side by
        side), for a caller that computes part of it for many steps at once."""
        width = self.cell.num_gates * self.hidden_size * (2 if self.bidirectional else 1) if projected else self.input_size
        if not isinstance(input, torch.Tensor) or input.dim() != 2 or input.shape[1] != width:
            got = list(input.shape) if isinstance(input, torch.Tensor) else type(input).__name__
            raise ValueError(f"{type(self).__name__}.step: expected input of shape [batch, {width}], got {got}")
        states0 = self._initial_states(hx, input.shape[0], True, input)
        weights = self._step_weights()
        directions = 2 if self.bidirectional else 1
        x, finals = input, [[] for _ in states0]
        for layer in range(self.num_layers):
            pieces = x.chunk(directions, -1) if projected and layer == 0 else (x,) * directions
            outs = []
            for d in range(directions):
                k = layer * directions + d
                drop = self._recurrent_mask(x[None]) if self.training else None
                new = step(pieces[d], weights[k], tuple(s[k] for s in states0), projected=projected and layer == 0,
                           drop=drop)
                outs.append(new[0])
                for f_list, f in zip(finals, new):
                    f_list.append(f)
            x = outs[0] if directions == 1 else (torch.cat(outs, -1) if self.merge == "concat" else outs[0] + outs[1])
            if self.training and self.dropout and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, self._hidden_out(tuple(torch.stack(f) for f in finals))

    def _step_weights(self) -> list[StepWeights]:
        """Each layer-direction's ``StepWeights``, made again when a parameter has changed."""
        return cached_weights(self, lambda: [StepWeights(self.cell, self.layer_params(k))
                                             for k in range(len(self._param_names))])

    def trace(self, input, hx=None, lengths=None) -> Trace:
        """Run without autograd or dropout and return every state and activated gate per step
        (``rnnkit.Trace``).  Same inputs as ``forward``."""
        x, states0, lengths, _ = self._prepare(input, hx, lengths)
        mask = None if lengths is None else engine.lengths_to_mask(lengths, x.shape[0])
        _, _, record = self._run_layers(x, states0, mask, traced=True)
        batched = isinstance(input, PackedSequence) or input.dim() == 3
        fix = (lambda t: t) if batched else (lambda t: t.squeeze(2))
        h = fix(torch.stack(record["states"][0]))
        c = fix(torch.stack(record["states"][1])) if self.cell.num_states == 2 else None
        gates = {k: fix(torch.stack([g[k] for g in record["gates"]])) for k in self.cell.gate_names}
        return Trace(h=h, c=c, gates=gates)

    def _prepare(self, input, hx, lengths):
        """Time-major input, initial states, lengths, and the function that gives the output
        the caller's layout back."""
        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError("pass either a PackedSequence or lengths=, not both: a "
                                 "PackedSequence already carries its lengths")
            x, lengths = pad_packed_sequence(input)
            self._check_input(x)
            lengths = lengths.to(x.device)
            packed_in = input

            def restore(out, finals):
                sorted_idx = packed_in.sorted_indices
                out_sorted = out if sorted_idx is None else out.index_select(1, sorted_idx)
                lengths_sorted = lengths if sorted_idx is None else lengths[sorted_idx]
                data = pack_padded_sequence(out_sorted, lengths_sorted.cpu()).data
                packed = PackedSequence(data, packed_in.batch_sizes, sorted_idx, packed_in.unsorted_indices)
                return packed, self._hidden_out(finals)

            return x, self._initial_states(hx, x.shape[1], True, x), lengths, restore

        self._check_input(input)
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(0 if self.batch_first else 1)
        if self.batch_first:
            x = x.transpose(0, 1)
        T, B = x.shape[:2]
        if lengths is not None:
            lengths = self._check_lengths(lengths, T, B, x.device)

        def restore(out, finals):
            if self.batch_first:
                out = out.transpose(0, 1)
            if not batched:
                out = out.squeeze(0 if self.batch_first else 1)
                finals = tuple(f.squeeze(1) for f in finals)
            return out, self._hidden_out(finals)

        return x, self._initial_states(hx, B, batched, x), lengths, restore

    def _hidden_out(self, finals):
        return finals if self.cell.num_states == 2 else finals[0]

    def uses_torch_kernel(self, x: torch.Tensor, lengths) -> bool:
        """Whether this call runs torch's own kernel.  "auto" picks it where it is the faster:
        on the GPU (cuDNN), and on the CPU for the LSTM (oneDNN's fused kernel) once a call has
        at least TORCH_MIN_WORK sequence-steps; below that the kernel's per-call setup can take
        milliseconds.  torch's CPU GRU and RNN are loops of separate ops that the engine's C++
        loop outruns (see BENCHMARKS.md)."""
        if self.backend == "engine" or not self._torch_has_cell() or (self.recurrent_dropout and self.training):
            return False
        if engine.tracing():
            return False   # torch.export and torch.compile see the engine's operator
        if lengths is not None and not bool((lengths > 0).all()):
            return False   # torch's packed kernels cannot run a sequence of length 0
        if self.backend == "torch":
            return True
        if x.device.type != "cpu" or not engine.native.usable(x, self.cell):
            return True
        return self.cell.name == "lstm" and x.shape[0] * x.shape[1] >= TORCH_MIN_WORK

    def layer_params(self, k: int) -> dict[str, torch.Tensor]:
        """The parameters of layer-direction ``k`` (``layer * directions + direction``) by their
        generic names (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` and the cell's own)."""
        return {generic: getattr(self, attr) for generic, attr in self._param_names[k].items()}

    def _run_layers(self, x, states0, mask, traced: bool = False):
        """The stack: each layer's directions through the engine, merged, with dropout between
        layers.  ``traced`` runs without autograd or dropout and records states and gates."""
        directions = 2 if self.bidirectional else 1
        finals = [[] for _ in states0]
        record = {"states": [[] for _ in states0], "gates": []}
        training = self.training and not traced
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                s0 = tuple(s[k] for s in states0)
                params = self.layer_params(k)
                if traced:
                    out, fin, states, gates = engine.run_traced(self.cell, x, params, s0, mask=mask, reverse=d == 1)
                    for rec, s in zip(record["states"], states):
                        rec.append(s)
                    record["gates"].append(gates)
                else:
                    out, fin = engine.run(self.cell, x, params, s0, mask=mask, reverse=d == 1,
                                          drop=self._recurrent_mask(x) if training else None)
                outs.append(out)
                for f_list, f in zip(finals, fin):
                    f_list.append(f)
            x = outs[0] if directions == 1 else (torch.cat(outs, -1) if self.merge == "concat" else outs[0] + outs[1])
            if training and self.dropout and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, tuple(torch.stack(f) for f in finals), record

    def _recurrent_mask(self, x: torch.Tensor) -> torch.Tensor | None:
        """Variational dropout mask for one layer and direction: ``[B, H]``, scaled by 1/(1-p)."""
        p = self.recurrent_dropout
        if not p:
            return None
        keep = x.new_empty(x.shape[1], self.hidden_size).bernoulli_(1 - p)
        return keep.div_(1 - p)

    def _forward_torch(self, x, states0, lengths):
        """torch's fused kernel (the same call torch.nn makes), packing for variable lengths."""
        fn = _TORCH_KERNELS[self.cell.name]
        weights = [w for ws in self.all_weights for w in ws]
        hx = states0 if self.cell.num_states == 2 else states0[0]
        args = (weights, self.bias, self.num_layers, self.dropout, self.training, self.bidirectional)
        if lengths is None:
            out, *finals = fn(x, hx, *args, False)
            return out, tuple(finals)
        packed = pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
        order = packed.sorted_indices
        hx = tuple(h.index_select(1, order) for h in hx) if isinstance(hx, tuple) else hx.index_select(1, order)
        data, *finals = fn(packed.data, packed.batch_sizes, hx, *args)
        out, _ = pad_packed_sequence(
            PackedSequence(data, packed.batch_sizes, order, packed.unsorted_indices), total_length=x.shape[0])
        return out, tuple(f.index_select(1, packed.unsorted_indices) for f in finals)


class RNN(RNNBase):
    """Elman RNN, ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``; drop-in for torch.nn.RNN."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None, *,
                 recurrent_dropout=0.0, merge="concat", backend="auto"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(form_name("RNN", nonlinearity=nonlinearity), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device, dtype,
                         recurrent_dropout=recurrent_dropout, merge=merge, backend=backend)


class LSTM(RNNBase):
    """Long short-term memory; drop-in for torch.nn.LSTM (without ``proj_size``)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None, *,
                 recurrent_dropout=0.0, layer_norm=False, merge="concat", backend="auto"):
        if proj_size:
            raise ValueError(f"proj_size is not supported by rnnkit.LSTM (got proj_size={proj_size}); "
                             "use torch.nn.LSTM or add a Linear layer on the output")
        super().__init__(form_name("LSTM", layer_norm=layer_norm), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device, dtype,
                         recurrent_dropout=recurrent_dropout, merge=merge, backend=backend)
        self.layer_norm = layer_norm


class GRU(RNNBase):
    """Gated recurrent unit; drop-in for torch.nn.GRU with ``reset="after"`` (the default)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, *,
                 recurrent_dropout=0.0, reset="after", merge="concat", backend="auto"):
        super().__init__(form_name("GRU", reset=reset), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device, dtype,
                         recurrent_dropout=recurrent_dropout, merge=merge, backend=backend)
        self.reset = reset


class Recurrent(RNNBase):
    """The recurrent layer of any registered cell, by name ("lstm_ln", "gru_before", or one of
    your own, ``rnnkit.cells.register_cell``), with the torch.nn layers' arguments and extras.
    Its state is ``h`` or, for an LSTM-family cell, ``(h, c)``."""

    def __init__(self, cell: str, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, *,
                 recurrent_dropout=0.0, merge="concat", backend="auto"):
        super().__init__(cell, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype,
                         recurrent_dropout=recurrent_dropout, merge=merge, backend=backend)
