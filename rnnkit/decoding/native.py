"""Sampling a stacked recurrent language model in C++, one token at a time (``native/sampling.cpp``).

The fast path of ``rnnkit.decoding.generate`` for models that offer ``one_step_weights()``: the
engine's one-stream stepper (``rnnkit/engine/native/loop.h``: each layer's step runs the same
cell code as training, with buffers and packed weights made once per call) gives the logits, and
the draw (temperature, top-k, top-p, as ``rnnkit.decoding.sample`` draws) happens in the same
C++ loop.  Its random stream is a 64-bit seed drawn from the caller's generator, so the same
seed gives the same text.  Compiled once per machine like the engine's loop; where it cannot
be, or with ``RNNKIT_NATIVE=0``, generation runs the model's ``step()`` in Python.
"""
from __future__ import annotations

from pathlib import Path

import torch

from rnnkit.engine import native

SAMPLER = native.Extension("rnnkit_sampler", Path(__file__).with_name("native") / "sampling.cpp", "the C++ sampler",
                           "the Python step loop", include=(native.SOURCE.parent,))


class NativeSampler:
    def __init__(self, cell, layer_params: list[dict], embedding: torch.Tensor, output_weight: torch.Tensor,
                 output_bias: torch.Tensor | None, banned: list[int] = ()):
        """A sampler over the weights ``LanguageModel.one_step_weights()`` gives; it never draws
        the ``banned`` ids (their output bias is -inf)."""
        self.cell_id = native.CELL_IDS[cell.name]
        with torch.no_grad():
            self.table = cell.project_input(embedding, layer_params[0])        # [vocab, G*H]
            self.layers = []
            for p in layer_params:
                D = p["weight_ih"].shape[1]
                bias = cell.project_input(embedding.new_zeros(1, D), p)[0]      # what the input side adds
                self.layers.append([p["weight_ih"], bias, p["weight_hh"],
                                    None if cell.folds_recurrent_bias else p.get("bias_hh"),
                                    p.get("ln_ih_weight"), *[p[n] for n in cell.recurrent_extras]])
            if banned:
                output_bias = (output_bias.detach().clone() if output_bias is not None
                               else output_weight.new_zeros(len(output_weight)))
                output_bias[list(banned)] = float("-inf")
        self.output_weight, self.output_bias = output_weight, output_bias

    @classmethod
    def of(cls, model, banned: list[int] = ()) -> "NativeSampler | None":
        """The sampler of ``model``, or None where the C++ sampler cannot run it (the model offers
        no one-step weights, or the extension is unavailable)."""
        weights = model.one_step_weights() if hasattr(model, "one_step_weights") else None
        if weights is None or SAMPLER.get() is None:
            return None
        return cls(*weights, banned=banned)

    @torch.no_grad()
    def sample(self, state, logits: torch.Tensor, length: int, temperature: float, top_k: int | None,
               top_p: float | None, seed: int, stop: int | None) -> list[int]:
        """``length`` ids after a prime that left ``state`` (``[layers, 1, H]`` each) and ``logits``."""
        states = state if isinstance(state, tuple) else (state,)
        flat = [s[layer, 0] for layer in range(states[0].shape[0]) for s in states]
        ids, _ = SAMPLER.get().sample(self.cell_id, self.layers, self.table, self.output_weight, self.output_bias,
                                      flat, logits, length, float(temperature), top_k or 0, top_p or 0.0,
                                      seed, -1 if stop is None else stop)
        return ids
