"""``Vocab``: a bijection between tokens and indices, with specials and a default (unknown) index.

Saved as UTF-8 text, one token per line in index order; a backslash, newline or carriage return
inside a token is written as ``\\\\``, ``\\n``, ``\\r`` so that character vocabularies round-trip.
"""
from __future__ import annotations

import collections
from typing import Iterable

from ._io import atomic_open

__all__ = ["Vocab", "build_vocab_from_iterator", "SPECIALS"]

SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}


def _escape(token: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in token) if any(
        ch in token for ch in _ESCAPES) else token


def _unescape(text: str, where: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt not in _UNESCAPES:
                raise ValueError(f"{where}: bad escape '\\{nxt}' in a vocabulary token")
            out.append(_UNESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Vocab:
    """Tokens in index order. ``vocab[token]`` is its index (or the default index, if set, for an
    unknown token); ``vocab.lookup_token(i)`` the token at ``i``.

    Build one from text with ``Vocab.build(token_lists, min_freq, max_size, specials)``."""

    def __init__(self, tokens: Iterable[str] = (), default_index: int | None = None):
        self._itos: list[str] = []
        self._stoi: dict[str, int] = {}
        for t in tokens:
            self.append_token(t)
        self._default = None
        if default_index is not None:
            self.set_default_index(default_index)

    @classmethod
    def build(cls, iterator: Iterable[Iterable[str]], min_freq: int = 1,
              max_size: int | None = None, specials=SPECIALS, special_first: bool = True,
              default_token: str | None = "<unk>") -> "Vocab":
        """Count tokens over ``iterator`` (an iterable of token lists), keep those seen at least
        ``min_freq`` times, most frequent first (ties alphabetical), at most ``max_size`` tokens in
        all (specials included). The default index is ``default_token``'s if it is a special."""
        if min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq must be at least 1, got {min_freq}")
        specials = list(specials or [])
        if len(set(specials)) != len(specials):
            raise ValueError(f"Vocab.build: duplicate specials {specials}")
        counter = collections.Counter()
        for tokens in iterator:
            counter.update(tokens)
        for s in specials:
            counter.pop(s, None)
        ordered = sorted(((t, c) for t, c in counter.items() if c >= min_freq),
                         key=lambda tc: (-tc[1], tc[0]))
        words = [t for t, _ in ordered]
        if max_size is not None:
            if max_size < len(specials):
                raise ValueError(f"Vocab.build: max_size {max_size} is smaller than the "
                                 f"{len(specials)} specials")
            words = words[:max_size - len(specials)]
        vocab = cls(specials + words if special_first else words + specials)
        if default_token is not None and default_token in specials:
            vocab.set_default_index(vocab[default_token])
        vocab.freqs = collections.Counter({t: counter[t] for t in words})
        return vocab

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: str) -> bool:
        return token in self._stoi

    def __getitem__(self, token: str) -> int:
        idx = self._stoi.get(token)
        if idx is not None:
            return idx
        if self._default is None:
            raise KeyError(f"token {token!r} not found and default index is not set")
        return self._default

    def __call__(self, tokens: Iterable[str]) -> list[int]:
        return self.lookup_indices(tokens)

    def __iter__(self):
        return iter(self._itos)

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and self._itos == other._itos and \
            self._default == other._default

    def lookup_indices(self, tokens: Iterable[str]) -> list[int]:
        return [self[t] for t in tokens]

    def lookup_token(self, index: int) -> str:
        if not 0 <= index < len(self._itos):
            raise IndexError(f"Vocab: index {index} out of range for a vocabulary of "
                             f"{len(self._itos)} tokens")
        return self._itos[index]

    def lookup_tokens(self, indices: Iterable[int]) -> list[str]:
        return [self.lookup_token(int(i)) for i in indices]

    def get_itos(self) -> list[str]:
        return list(self._itos)

    def get_stoi(self) -> dict[str, int]:
        return dict(self._stoi)

    def set_default_index(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self._itos):
            raise IndexError(f"Vocab: default index {index} out of range for {len(self)} tokens")
        self._default = index

    def get_default_index(self) -> int | None:
        return self._default

    def append_token(self, token: str) -> None:
        if not isinstance(token, str):
            raise TypeError(f"Vocab: tokens must be strings, got {type(token).__name__}")
        if token in self._stoi:
            raise ValueError(f"Vocab: token {token!r} already exists at index {self._stoi[token]}")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    # ------------------------------------------------------------------ files
    def save(self, path: str) -> None:
        """Write one (escaped) token per line in index order; atomic."""
        with atomic_open(path, "w") as f:
            for t in self._itos:
                f.write(_escape(t) + "\n")

    @classmethod
    def load(cls, path: str, default_token: str | None = "<unk>") -> "Vocab":
        """Read a file written by ``save`` (or any one-token-per-line list). A token listed twice
        is an error naming both lines. The default index is ``default_token``'s, if present."""
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        seen: dict[str, int] = {}
        tokens = []
        for n, line in enumerate(lines, 1):
            token = _unescape(line, f"{path}: line {n}")
            if token in seen:
                raise ValueError(f"{path}: line {n}: token {token!r} duplicates line {seen[token]}; "
                                 "a vocabulary file lists each token once")
            seen[token] = n
            tokens.append(token)
        vocab = cls(tokens)
        if default_token is not None and default_token in vocab:
            vocab.set_default_index(vocab[default_token])
        return vocab

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self._itos[:8])
        more = ", ..." if len(self) > 8 else ""
        return f"Vocab({len(self)} tokens: [{head}{more}], default_index={self._default})"


def build_vocab_from_iterator(iterator, min_freq: int = 1, specials=None,
                              special_first: bool = True, max_tokens: int | None = None) -> Vocab:
    """torchtext's function: as ``Vocab.build`` with no specials by default and no default index
    (call ``set_default_index``)."""
    return Vocab.build(iterator, min_freq=min_freq, max_size=max_tokens, specials=specials or (),
                       special_first=special_first, default_token=None)
