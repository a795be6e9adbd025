"""Sentence classification with a recurrent encoder: Embedding (optionally initialised from
pre-trained word vectors such as GloVe), a bidirectional LSTM or GRU over the packed sequence, and
a Linear layer on the final states of both directions."""
from __future__ import annotations

import numpy as np

from .. import nn
from ..autograd.tensor import Tensor
from ..nn.utils.rnn import pack_padded_sequence
from ..ops.joining import cat
from .charrnn import recurrent_layer


def make_embedding(vocab_size: int, embedding_dim: int, embeddings=None, freeze: bool = False,
                   padding_idx: int | None = 0) -> nn.Embedding:
    """``nn.Embedding(vocab_size, embedding_dim)``, or one holding ``embeddings`` (a
    ``(vocab_size, dim)`` array or tensor, e.g. GloVe rows for the vocabulary), trainable unless
    ``freeze``."""
    if embeddings is None:
        return nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
    weight = embeddings if isinstance(embeddings, Tensor) else Tensor._make(
        np.asarray(embeddings, dtype=np.float32))
    if tuple(weight.shape)[0] != vocab_size:
        raise ValueError(f"pre-trained embeddings have {tuple(weight.shape)[0]} rows but the "
                         f"vocabulary has {vocab_size} tokens (shape {tuple(weight.shape)})")
    return nn.Embedding.from_pretrained(weight.detach().clone(), freeze=freeze,
                                        padding_idx=padding_idx)


def split_input(x):
    """A batch is token ids ``(B, T)`` or a pair ``(ids (B, T), lengths (B,))``."""
    if isinstance(x, (tuple, list)):
        tokens, lengths = x
        return tokens, lengths
    return x, None


class SentimentRNN(nn.Module):
    """``SentimentRNN(vocab_size, embedding_dim=100, hidden_size=128, num_layers=1, cell='lstm',
    bidirectional=True, dropout=0.5, num_classes=2, embeddings=None, freeze_embeddings=False,
    padding_idx=0)``.

    ``forward(tokens (B, T))`` or ``forward((tokens (B, T), lengths (B,)))`` -> logits
    ``(B, num_classes)``. With lengths the sequences are packed, so padding never reaches the
    recurrent layer and the final state of each direction is that of the real last word."""

    def __init__(self, vocab_size: int, embedding_dim: int = 100, hidden_size: int = 128,
                 num_layers: int = 1, cell: str = "lstm", bidirectional: bool = True,
                 dropout: float = 0.5, num_classes: int = 2, embeddings=None,
                 freeze_embeddings: bool = False, padding_idx: int | None = 0):
        super().__init__()
        if embeddings is not None:
            embedding_dim = int(np.shape(embeddings)[1])
        self.embedding = make_embedding(vocab_size, embedding_dim, embeddings, freeze_embeddings,
                                        padding_idx)
        self.rnn = recurrent_layer(cell, embedding_dim, hidden_size, num_layers, dropout,
                                   bidirectional=bidirectional, batch_first=True)
        self.directions = 2 if bidirectional else 1
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * self.directions, num_classes)

    def forward(self, x):
        tokens, lengths = split_input(x)
        if tokens.ndim != 2:
            raise ValueError(f"SentimentRNN: expected token ids of shape (B, T), got "
                             f"{tuple(tokens.shape)}")
        emb = self.dropout(self.embedding(tokens))
        if lengths is not None:
            emb = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(emb)
        h_n = hidden[0] if isinstance(hidden, tuple) else hidden
        last = h_n[-self.directions:]            # the top layer, each direction: (D, B, H)
        features = last[0] if self.directions == 1 else cat([last[0], last[1]], dim=1)
        return self.fc(self.dropout(features))
