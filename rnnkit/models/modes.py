"""Running a model for inference: eval mode and no gradients inside the block, and the model's
training flag restored afterwards, also when the block raises."""
from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def evaluating(model: torch.nn.Module):
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was)
