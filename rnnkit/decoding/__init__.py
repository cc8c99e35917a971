"""Decoding for any model with ``step()``: greedy, sampling (temperature, top-k, top-p), beam search."""
from rnnkit.decoding.beam import beam_search
from rnnkit.decoding.sampling import filter_logits, generate, sample

__all__ = ["beam_search", "filter_logits", "generate", "sample"]
