"""Tokenizers: characters or whitespace-separated words (language models), raw sentences
split into words (classification), and reversible word splitting (translation).

Word level follows the Penn Treebank setup of Mikolov and Zaremba et al.: tokens are split on
whitespace and every line ends with ``<eos>``, which the detokenizer turns back into a newline.
"""
from __future__ import annotations

import re

from rnnkit.data.vocab import EOS

LEVELS = ("char", "word")


class CharTokenizer:
    level = "char"

    def tokenize(self, text: str) -> list[str]:
        return list(text)

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(tokens)

    def count_chars(self, text: str) -> int:
        return len(text)


class WordTokenizer:
    level = "word"

    def tokenize(self, text: str) -> list[str]:
        """Whitespace tokens; each line that ends (with a newline) gets ``<eos>``."""
        tokens = []
        lines = text.split("\n")
        for i, line in enumerate(lines):
            tokens.extend(line.split())
            if i < len(lines) - 1:
                tokens.append(EOS)
        return tokens

    def detokenize(self, tokens: list[str]) -> str:
        """Words joined by spaces, ``<eos>`` as a newline."""
        lines, line = [], []
        for t in tokens:
            if t == EOS:
                lines.append(" ".join(line))
                line = []
            else:
                line.append(t)
        return "\n".join(lines + [" ".join(line)])

    def count_chars(self, text: str) -> int:
        """Characters of the text as the model sees it: words single-spaced, lines ended by newlines."""
        return len(self.detokenize(self.tokenize(text)))


def tokenizer_for(level: str, lowercase: bool = False):
    if level == "char":
        return CharTokenizer()
    if level == "word":
        return WordTokenizer()
    if level == "text":
        return TextTokenizer(lowercase)
    raise ValueError(f"level must be one of {LEVELS} or 'text', got {level!r}")


# Penn-Treebank-like splitting of raw sentences: punctuation runs apart, clitics as their own
# tokens ("doesn't" -> "does n't", "it's" -> "it 's"), hyphenated words whole.  Text that is
# already tokenised this way (SST, PTB) comes out unchanged.
_WORDS = re.compile(r"\w+(?=n't\b)|n't\b|'(?:s|re|ve|ll|d|m)\b|\w+(?:-\w+)*|[^\w\s]+", re.IGNORECASE)


def split_words(text: str, lowercase: bool = False) -> list[str]:
    """Word tokens of a raw sentence (for classification input)."""
    return _WORDS.findall(text.lower() if lowercase else text)


class TextTokenizer:
    """Raw sentences to word tokens with ``split_words`` (sentence classification)."""
    level = "text"

    def __init__(self, lowercase: bool = False):
        self.lowercase = lowercase

    def tokenize(self, text: str) -> list[str]:
        return split_words(text, self.lowercase)


JOINER = "\uffed"   # "￭": this token was written without a space before it


class ReversibleWordTokenizer:
    """Raw sentences to word tokens with ``split_words``, keeping case; a token that followed
    the previous one without a space carries a ``￭`` prefix (as in OpenNMT's tokenizer), so that
    ``detokenize`` restores the original spacing: ``"Hi, you." -> ["Hi", "￭,", "you", "￭."]``."""
    kind = "word"

    def tokenize(self, text: str) -> list[str]:
        tokens = []
        for match in _WORDS.finditer(text):
            start = match.start()
            joined = start > 0 and not text[start - 1].isspace() and bool(tokens)
            tokens.append(JOINER + match.group() if joined else match.group())
        return tokens

    def detokenize(self, tokens: list[str]) -> str:
        return " ".join(tokens).replace(" " + JOINER, "").replace(JOINER, "")
