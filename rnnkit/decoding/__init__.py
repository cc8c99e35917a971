"""Decoding for any model with ``step()``: greedy, sampling (temperature, top-k, top-p), beam
search for a prefix, and batched beam search for encoder-decoder models."""
from rnnkit.decoding.batch_beam import Hypothesis, batch_beam_search
from rnnkit.decoding.beam import beam_search
from rnnkit.decoding.sampling import filter_logits, generate, sample

__all__ = ["Hypothesis", "batch_beam_search", "beam_search", "filter_logits", "generate", "sample"]
