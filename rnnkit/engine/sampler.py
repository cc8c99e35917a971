"""Sampling a stacked recurrent language model in the C++ loop, one token at a time.

The fast path of ``rnnkit.decoding.generate`` for models that offer it: each step of every
layer runs the engine's own cell code on one token, with buffers and packed weights made once
per call, and the draw (temperature, top-k, top-p) happens in C++ as well.  Its random stream
is a 64-bit seed drawn from the caller's generator, so the same seed gives the same text.
"""
from __future__ import annotations

import torch

from rnnkit.engine import native


class NativeSampler:
    def __init__(self, cell, layer_params: list[dict], embedding: torch.Tensor, output_weight: torch.Tensor,
                 output_bias: torch.Tensor | None):
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
        self.output_weight, self.output_bias = output_weight, output_bias

    @staticmethod
    def usable(model_tensor: torch.Tensor, cell) -> bool:
        return native.usable(model_tensor, cell)

    @torch.no_grad()
    def sample(self, state, logits: torch.Tensor, length: int, temperature: float, top_k: int | None,
               top_p: float | None, seed: int, stop: int | None) -> list[int]:
        """``length`` ids after a prime that left ``state`` (``[layers, 1, H]`` each) and ``logits``."""
        states = state if isinstance(state, tuple) else (state,)
        flat = [s[layer, 0] for layer in range(states[0].shape[0]) for s in states]
        ids, _ = native.get().sample(self.cell_id, self.layers, self.table, self.output_weight, self.output_bias,
                                     flat, logits, length, float(temperature), top_k or 0, top_p or 0.0,
                                     seed, -1 if stop is None else stop)
        return ids
