"""Character-level causal Transformer language model (GPT-style, small): token and learned
position embeddings, pre-norm ``nn.TransformerEncoderLayer`` blocks under a causal mask, a final
LayerNorm and a Linear to next-character logits (its weight tied to the token embedding by
default).

It keeps ``CharRNN``'s call contract, so the same trainer, evaluation and sampling drive it: the
"hidden state" carried from one batch to the next is the last ``block_size - 1`` tokens seen, which
the next call puts in front of its input as context (without predicting them), so a chunk's first
characters do not start from nothing."""
from __future__ import annotations

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..autograd.tensor import Tensor
from ..ops.joining import cat
from .charrnn import check_sample_args, pick_token


class CharTransformer(nn.Module):
    """``CharTransformer(vocab_size, d_model=128, nhead=4, num_layers=2, dim_feedforward=512,
    block_size=128, dropout=0.0, tie_weights=True, activation='relu')``.

    ``forward(x (T, B) int64, hidden=None) -> (logits (T, B, vocab_size), hidden)``: sequence
    first, like ``CharRNN``. ``hidden`` (None, or the ``(C, B)`` token ids returned by the previous
    call) is context: the model reads ``cat([hidden, x])`` (its last ``block_size`` tokens) and
    returns logits for the positions of ``x`` only. Longer input runs in chunks of
    ``block_size // 2`` steps, each with the context before it.
    Embeddings start from N(0, 0.02) (GPT-2's choice; with tied weights the default N(0, 1) would
    make the first logits huge); the Transformer layers keep PyTorch's initialisation.
    ``activation`` of the feed-forward blocks: 'relu', or 'gelu' (GPT-2's tanh approximation;
    about 20% slower per step here)."""

    def __init__(self, vocab_size: int, d_model: int = 128, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 512, block_size: int = 128, dropout: float = 0.0,
                 tie_weights: bool = True, activation: str = "relu"):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(f"CharTransformer: activation must be 'relu' or 'gelu', got "
                             f"{activation!r}")
        self.vocab_size, self.block_size = vocab_size, block_size
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = nn.Embedding(block_size, d_model)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                           activation=nn.GELU(approximate="tanh")
                                           if activation == "gelu" else "relu", norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.position_embedding.weight, std=0.02)
        if tie_weights:
            self.head.weight = self.token_embedding.weight

    def forward(self, x: Tensor, hidden: Tensor | None = None):
        if x.ndim != 2:
            raise ValueError(f"CharTransformer: expected token ids of shape (T, B), got "
                             f"{tuple(x.shape)}")
        steps = x.shape[0]
        if steps > self.block_size:  # in chunks of half a block, each with the context before it
            chunk = max(1, self.block_size // 2)
            outputs = []
            for start in range(0, steps, chunk):
                logits, hidden = self(x[start:start + chunk], hidden)
                outputs.append(logits)
            return cat(outputs), hidden
        tokens = x if hidden is None else cat([hidden, x])[-self.block_size:]
        length = tokens.shape[0]
        positions = Tensor._make(np.arange(length, dtype=np.int64))
        h = self.token_embedding(tokens) + self.position_embedding(positions).unsqueeze(1)
        mask = nn.Transformer.generate_square_subsequent_mask(length,
                                                              dtype=h.detach().numpy().dtype)
        h = self.encoder(self.dropout(h), mask=mask, is_causal=True)
        logits = self.head(h[length - steps:])
        return logits, tokens[-(self.block_size - 1):].detach() if self.block_size > 1 else None

    def sample(self, prompt: list[int], length: int, temperature: float = 1.0,
               top_k: int | None = None, generator=None) -> list[int]:
        """``length`` new token ids continuing ``prompt`` (a non-empty list of ids); as
        ``CharRNN.sample`` (temperature 0 is greedy, ``top_k`` keeps the k likeliest)."""
        check_sample_args("CharTransformer", prompt, temperature, top_k)
        rng = backend.rng(generator)
        was_training = self.training
        self.eval()
        context = list(prompt)
        out = []
        with no_grad():
            for _ in range(length):
                window = np.asarray(context[-self.block_size:], dtype=np.int64)[:, None]
                logits, _ = self(Tensor._make(window))
                token = pick_token(logits.numpy()[-1, 0].astype(np.float64), temperature, top_k,
                                   rng)
                out.append(token)
                context.append(token)
        self.train(was_training)
        return out
