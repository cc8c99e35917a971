"""CoNLL-U (Universal Dependencies): read the words and their tags, write predicted tags back.

A sentence is a block of lines ended by a blank line: ``#`` comments, then one line of 10
tab-separated columns per word (ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC).
Multiword-token ranges (ID ``3-4``) and empty nodes (ID ``5.1``) are not words: reading skips
them, writing keeps them.  A document keeps every line of its file, so that writing changes
nothing but the UPOS (and, if asked, XPOS) column of the word lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.data.text import read_text
from rnnkit.errors import DataError

COLUMNS = 10
UPOS, XPOS = 3, 4
_WORD_ID = re.compile(r"[1-9][0-9]*")
_OTHER_ID = re.compile(r"[1-9][0-9]*-[1-9][0-9]*|[0-9]+\.[1-9][0-9]*")


@dataclass
class Sentence:
    forms: list[str] = field(default_factory=list)
    upos: list[str] = field(default_factory=list)
    xpos: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)      # index in Document.lines of each word


@dataclass
class Document:
    lines: list[str]
    sentences: list[Sentence]
    ends_with_newline: bool = True

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.ends_with_newline else "")

    def set_tags(self, column: int, tags: list[list[str]]) -> None:
        """Write one tag per word of every sentence into ``column`` (UPOS or XPOS)."""
        for sentence, sentence_tags in zip(self.sentences, tags, strict=True):
            for row, tag in zip(sentence.rows, sentence_tags, strict=True):
                fields = self.lines[row].split("\t")
                fields[column] = tag
                self.lines[row] = "\t".join(fields)


def read_conllu(path: str | Path) -> Document:
    return parse_conllu(read_text(path), path)


def parse_conllu(text: str, path: str | Path) -> Document:
    """The document of CoNLL-U ``text`` read from ``path`` (which errors name)."""
    ends = text.endswith("\n")
    lines = text.split("\n")
    if ends:
        lines.pop()
    sentences, current, start = [], Sentence(), None
    for i, line in enumerate(lines):
        n = i + 1
        if not line.strip():
            if start is not None:
                if not current.forms:
                    raise DataError(f"{path}, line {start}: a sentence without words")
                sentences.append(current)
            current, start = Sentence(), None
            continue
        start = start or n
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != COLUMNS:
            raise DataError(f"{path}, line {n}: expected {COLUMNS} tab-separated columns, found {len(fields)}")
        if _OTHER_ID.fullmatch(fields[0]):
            continue
        if not _WORD_ID.fullmatch(fields[0]):
            raise DataError(f"{path}, line {n}: bad word ID {fields[0]!r} (expected 1, 2, ..., a range 3-4 "
                            "or an empty node 5.1)")
        if not fields[1]:
            raise DataError(f"{path}, line {n}: empty FORM column")
        current.forms.append(fields[1])
        current.upos.append(fields[UPOS])
        current.xpos.append(fields[XPOS])
        current.rows.append(i)
    if start is not None:
        if not current.forms:
            raise DataError(f"{path}, line {start}: a sentence without words")
        sentences.append(current)
    if not sentences:
        raise DataError(f"{path}: no sentences (expected CoNLL-U: 10 tab-separated columns per word, "
                        "a blank line after each sentence)")
    return Document(lines, sentences, ends)


def document_from_tokens(sentences: list[list[str]]) -> Document:
    """Complete 10-column CoNLL-U for whitespace-tokenised sentences, tags ``_`` until set."""
    lines, out = [], []
    for k, tokens in enumerate(sentences, 1):
        lines += [f"# sent_id = {k}", f"# text = {' '.join(tokens)}"]
        sentence = Sentence(forms=list(tokens), upos=["_"] * len(tokens), xpos=["_"] * len(tokens))
        for j, form in enumerate(tokens, 1):
            sentence.rows.append(len(lines))
            lines.append("\t".join([str(j), form] + ["_"] * (COLUMNS - 2)))
        lines.append("")
        out.append(sentence)
    return Document(lines, out)
