"""The sentence-classification CNN of Kim (2014): word embeddings, 1-D convolutions of several
widths (3, 4, 5) with ReLU, max-over-time pooling, dropout and a Linear layer (softmax in the
loss). ``multichannel`` adds Kim's second, frozen copy of pre-trained vectors: each filter reads
both channels and their responses are summed."""
from __future__ import annotations

from .. import nn
from ..nn import functional as F
from ..ops.joining import cat
from .sentiment import make_embedding, split_input


class TextCNN(nn.Module):
    """``TextCNN(vocab_size, embedding_dim=100, widths=(3, 4, 5), num_filters=100, dropout=0.5,
    num_classes=2, embeddings=None, freeze_embeddings=False, multichannel=False, padding_idx=0)``.

    ``forward(tokens (B, T))`` (or ``(tokens, lengths)``; lengths are not needed: padding is
    token ``padding_idx`` whose vector is zero) -> logits ``(B, num_classes)``. Sentences shorter
    than the widest filter are padded."""

    def __init__(self, vocab_size: int, embedding_dim: int = 100, widths=(3, 4, 5),
                 num_filters: int = 100, dropout: float = 0.5, num_classes: int = 2,
                 embeddings=None, freeze_embeddings: bool = False, multichannel: bool = False,
                 padding_idx: int | None = 0):
        super().__init__()
        if multichannel and embeddings is None:
            raise ValueError("TextCNN: multichannel needs pre-trained embeddings (one frozen "
                             "copy, one tuned)")
        if embeddings is not None:
            embedding_dim = int(tuple(embeddings.shape)[1])
        self.padding_idx = padding_idx if padding_idx is not None else 0
        self.embedding = make_embedding(vocab_size, embedding_dim, embeddings, freeze_embeddings,
                                        padding_idx)
        self.static = (make_embedding(vocab_size, embedding_dim, embeddings, True, padding_idx)
                       if multichannel else None)
        self.widths = tuple(int(w) for w in widths)
        self.convs = nn.ModuleList([nn.Conv1d(embedding_dim, num_filters, w) for w in self.widths])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(num_filters * len(self.widths), num_classes)

    def forward(self, x):
        tokens, _ = split_input(x)
        if tokens.ndim != 2:
            raise ValueError(f"TextCNN: expected token ids of shape (B, T), got "
                             f"{tuple(tokens.shape)}")
        short = max(self.widths) - tokens.shape[1]
        if short > 0:
            tokens = F.pad(tokens, (0, short), value=self.padding_idx)
        channels = [self.embedding(tokens).transpose(1, 2)]        # (B, D, T)
        if self.static is not None:
            channels.append(self.static(tokens).transpose(1, 2))
        pooled = []
        for conv in self.convs:
            response = conv(channels[0])
            for extra in channels[1:]:
                response = response + conv(extra)
            pooled.append(response.relu().amax(dim=2))               # max over time: (B, F)
        return self.fc(self.dropout(cat(pooled, dim=1)))
