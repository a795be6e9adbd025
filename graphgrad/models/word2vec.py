"""word2vec (Mikolov et al. 2013): skip-gram and CBOW, both trained with negative sampling, plus
the queries one asks of word vectors: nearest neighbours by cosine similarity and analogies
(``a : b :: c : ?`` answered by the word nearest to ``b - a + c``)."""
from __future__ import annotations

import numpy as np

from .. import nn
from ..nn import functional as F

__all__ = ["SkipGram", "CBOW", "nearest_neighbors", "analogy", "unigram_table"]


class _Word2Vec(nn.Module):
    def __init__(self, vocab_size: int, embedding_dim: int = 100):
        super().__init__()
        self.vocab_size, self.embedding_dim = vocab_size, embedding_dim
        self.in_embed = nn.Embedding(vocab_size, embedding_dim)
        self.out_embed = nn.Embedding(vocab_size, embedding_dim)
        # word2vec's initialisation: input vectors small and uniform, output vectors zero
        nn.init.uniform_(self.in_embed.weight, -0.5 / embedding_dim, 0.5 / embedding_dim)
        nn.init.zeros_(self.out_embed.weight)

    def _loss(self, h, target, negatives):
        """-log sigma(u_target . h) - sum_k log sigma(-u_k . h), one value per row of ``h``."""
        pos = (self.out_embed(target) * h).sum(dim=1)                    # (B,)
        neg = self.out_embed(negatives).bmm(h.unsqueeze(2)).squeeze(2)   # (B, K)
        return -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(dim=1))

    def vectors(self) -> np.ndarray:
        """The word vectors (the input embeddings) as a ``(vocab_size, dim)`` array."""
        return self.in_embed.weight.detach().numpy().copy()


class SkipGram(_Word2Vec):
    """``SkipGram(vocab_size, embedding_dim=100)``: predict each context word from the centre.

    ``forward(center (B,), context (B,), negatives (B, K))`` -> loss per pair ``(B,)``."""

    def forward(self, center, context, negatives):
        return self._loss(self.in_embed(center), context, negatives)


class CBOW(_Word2Vec):
    """``CBOW(vocab_size, embedding_dim=100, padding_idx=0)``: predict the centre word from the
    mean of its context words' vectors.

    ``forward(context (B, 2W) with padding_idx where the window ran off the text, center (B,),
    negatives (B, K))`` -> loss per example ``(B,)``."""

    def __init__(self, vocab_size: int, embedding_dim: int = 100, padding_idx: int = 0):
        super().__init__(vocab_size, embedding_dim)
        self.padding_idx = padding_idx

    def forward(self, context, center, negatives):
        keep = (context != self.padding_idx).to(self.in_embed.weight.dtype)       # (B, 2W)
        summed = (self.in_embed(context) * keep.unsqueeze(2)).sum(dim=1)
        h = summed / keep.sum(dim=1, keepdim=True).clamp(min=1.0)
        return self._loss(h, center, negatives)


def unigram_table(counts, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: unigram counts raised to ``power``, normalised."""
    p = np.asarray(counts, dtype=np.float64) ** power
    total = p.sum()
    if total <= 0:
        raise ValueError("unigram_table: every count is zero")
    return p / total


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def nearest_neighbors(vectors: np.ndarray, query, k: int = 10, exclude=()) -> list:
    """The ``k`` rows of ``vectors (V, D)`` most cosine-similar to ``query`` (a row index or a
    ``(D,)`` vector), as ``(index, similarity)`` pairs, best first, skipping ``exclude`` (and the
    query row itself)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    skip = set(int(i) for i in exclude)
    if np.ndim(query) == 0:
        skip.add(int(query))
        query = vectors[int(query)]
    sims = _unit(vectors) @ _unit(np.asarray(query, dtype=np.float64))
    order = np.argsort(-sims, kind="stable")
    out = []
    for i in order:
        if int(i) in skip:
            continue
        out.append((int(i), float(sims[i])))
        if len(out) == k:
            break
    return out


def analogy(vectors: np.ndarray, a: int, b: int, c: int, k: int = 1, exclude=()) -> list:
    """``a : b :: c : ?`` -- the rows nearest to ``unit(b) - unit(a) + unit(c)`` other than a, b,
    c and ``exclude`` (3CosAdd), as ``(index, similarity)`` pairs."""
    unit = _unit(np.asarray(vectors, dtype=np.float64))
    return nearest_neighbors(unit, unit[b] - unit[a] + unit[c], k=k,
                             exclude=(a, b, c) + tuple(exclude))
