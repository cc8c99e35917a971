"""Vocabularies, tokenizers, readers and batching.  Plain tensors only: no torch.nn here."""
from rnnkit.data.batching import StreamBatches, length_buckets, pad_batch
from rnnkit.data.text import read_bytes, read_text
from rnnkit.data.tokenize import LEVELS, CharTokenizer, WordTokenizer, tokenizer_for
from rnnkit.data.vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab

__all__ = ["BOS", "EOS", "LEVELS", "PAD", "SPECIALS", "UNK", "CharTokenizer", "StreamBatches", "Vocab",
           "WordTokenizer", "length_buckets", "pad_batch", "read_bytes", "read_text", "tokenizer_for"]
