"""Decoding for any model with ``step()``: greedy, sampling (temperature, top-k, top-p) of one
stream or of a batch from model-provided states, beam search for a prefix, and batched beam
search from model-provided states (an encoder-decoder's among them).  What an application does
with them (translating text, captioning images, composing melodies) lives in its slice under
``rnnkit.tasks``."""
from rnnkit.decoding.batch_beam import Hypothesis, batch_beam_search, beam_search_states
from rnnkit.decoding.beam import beam_search
from rnnkit.decoding.sampling import filter_logits, generate, generate_states, sample

__all__ = ["Hypothesis", "batch_beam_search", "beam_search", "beam_search_states",
           "filter_logits", "generate", "generate_states", "sample"]
