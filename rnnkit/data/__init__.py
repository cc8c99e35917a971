"""Vocabularies, tokenizers, readers (text, TSV, CoNLL-U, parallel text, IDX arrays) and batching.
Plain tensors only: no torch.nn here."""
from rnnkit.data.batching import (SentenceBatches, StreamBatches, hold_out, length_buckets, pad_batch,
                                  stratified_folds, stratified_hold_out)
from rnnkit.data.conllu import Document, Sentence, document_from_tokens, read_conllu
from rnnkit.data.idx import read_idx, split_indices, write_idx
from rnnkit.data.parallel import read_lines, read_parallel
from rnnkit.data.text import read_bytes, read_text
from rnnkit.data.subword import SubwordTokenizer
from rnnkit.data.tokenize import (LEVELS, CharTokenizer, ReversibleWordTokenizer, TextTokenizer, WordTokenizer,
                                 split_words, tokenizer_for)
from rnnkit.data.tsv import LabelledTexts, read_tsv
from rnnkit.data.vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab

__all__ = ["BOS", "EOS", "LEVELS", "PAD", "SPECIALS", "UNK", "CharTokenizer", "Document", "LabelledTexts",
           "ReversibleWordTokenizer", "Sentence", "SentenceBatches", "StreamBatches", "SubwordTokenizer",
           "TextTokenizer", "Vocab", "WordTokenizer",
           "document_from_tokens", "hold_out", "length_buckets", "pad_batch", "stratified_folds", "stratified_hold_out",
           "read_bytes", "read_conllu", "read_lines",
           "read_idx", "read_parallel", "read_text", "read_tsv", "split_indices", "split_words", "tokenizer_for",
           "write_idx"]
