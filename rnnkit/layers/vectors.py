"""Sequences of vectors in and real values out: the front end and the head for measurements.

``VectorInput`` is to a series of measurements ``[T, B, F]`` what ``nn.Embedding`` is to token
ids: it maps each step to the recurrent layer's input size (``x_t W^T + b``, with dropout).
``RealHead`` reads real values off the states (point estimates, ``y_t = h_t W^T + b``) and scores
them by the squared error over the steps inside each sequence.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.layers.pooling import step_mask


class VectorInput(nn.Module):
    def __init__(self, features: int, size: int, dropout: float = 0.0):
        super().__init__()
        self.features = features
        self.project = nn.Linear(features, size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[..., F] -> [..., size]``."""
        if x.shape[-1] != self.features:
            raise ValueError(f"expected vectors of {self.features} features, got shape {list(x.shape)}")
        return self.dropout(self.project(x))


class RealHead(nn.Module):
    def __init__(self, hidden: int, outputs: int):
        super().__init__()
        self.linear = nn.Linear(hidden, outputs)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """``[..., hidden] -> [..., outputs]``."""
        return self.linear(h)

    @staticmethod
    def squared_error(predicted: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor | None = None):
        """``(summed squared error, number of values)`` of ``[T, B, F]`` predictions (or ``[B, F]``),
        counting only the steps ``t < lengths[b]`` where lengths are given."""
        if predicted.shape != target.shape:
            raise ValueError(f"predictions {list(predicted.shape)} and targets {list(target.shape)} differ in shape")
        error = (predicted - target) ** 2
        if lengths is None:
            return error.sum(), error.numel()
        mask = step_mask(lengths, predicted.shape[0]).to(error.dtype)[..., None]
        return (error * mask).sum(), int(mask.sum()) * predicted.shape[-1]
