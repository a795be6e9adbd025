"""Tokenisers: characters, and simple words (lower-case, punctuation split off)."""
from __future__ import annotations

import re

__all__ = ["char_tokenize", "word_tokenize", "get_tokenizer"]

# A word is letters/digits/underscore, keeping inner apostrophes ("don't"); every other visible
# character is a token of its own.
_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def char_tokenize(text: str) -> list[str]:
    """Every character is a token (spaces and newlines included): ``"ab c"`` ->
    ``['a', 'b', ' ', 'c']``; ``''.join`` inverts it."""
    return list(text)


def word_tokenize(text: str) -> list[str]:
    """Lower-cased words with punctuation split off: ``"Don't panic, Bob!"`` ->
    ``["don't", 'panic', ',', 'bob', '!']``."""
    return _WORD.findall(text.lower())


def get_tokenizer(tokenizer="basic_english"):
    """A tokeniser by name, as torchtext's ``get_tokenizer``: 'basic_english' or 'word' (the word
    tokeniser), 'char', or None / 'split' (whitespace split); a callable is returned as is."""
    if callable(tokenizer):
        return tokenizer
    if tokenizer in ("basic_english", "word"):
        return word_tokenize
    if tokenizer == "char":
        return char_tokenize
    if tokenizer in (None, "split"):
        return str.split
    raise ValueError(f"get_tokenizer: unknown tokenizer {tokenizer!r}; expected 'basic_english', "
                     "'word', 'char', 'split', None or a callable")
