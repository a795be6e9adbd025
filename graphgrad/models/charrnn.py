"""Character-level language model (Karpathy's char-rnn): Embedding, a stacked vanilla RNN, LSTM or
GRU, and a Linear layer to next-character logits; sampling from a prompt with temperature and
top-k."""
from __future__ import annotations

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..autograd.tensor import Tensor

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def recurrent_layer(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                    dropout: float = 0.0, **kwargs):
    """``nn.RNN`` (tanh), ``nn.LSTM`` or ``nn.GRU`` by name (``'rnn'``, ``'lstm'``, ``'gru'``)."""
    if cell not in _CELLS:
        raise ValueError(f"cell must be one of {', '.join(_CELLS)}, got {cell!r}")
    return _CELLS[cell](input_size, hidden_size, num_layers=num_layers,
                        dropout=dropout if num_layers > 1 else 0.0, **kwargs)


def chrono_init_(lstm, t_max: float, generator=None):
    """Chrono initialisation (Tallec & Ollivier 2018) of an ``nn.LSTM``'s biases: forget-gate bias
    ``log(u)``, ``u ~ U(1, t_max - 1)``, input-gate bias its negative, other biases zero, so that
    at the start the cells keep their content for up to ``t_max`` steps instead of halving it
    every step. Returns ``lstm``."""
    if t_max <= 2:
        raise ValueError(f"chrono_init_: t_max must be > 2, got {t_max}")
    h = lstm.hidden_size
    rng = backend.rng(generator)
    for name, param in lstm.named_parameters():
        if name.startswith("bias_"):
            values = np.zeros(tuple(param.shape), dtype=param.detach().numpy().dtype)
            if name.startswith("bias_ih"):
                forget = np.log(rng.uniform(1.0, t_max - 1.0, h))
                values[h:2 * h] = forget
                values[:h] = -forget
            with no_grad():
                param.copy_(Tensor._make(values))
    return lstm


def detach_hidden(hidden):
    """Cut a recurrent state (a tensor or an LSTM's ``(h, c)``) from its graph: truncated BPTT."""
    if hidden is None:
        return None
    if isinstance(hidden, tuple):
        return tuple(h.detach() for h in hidden)
    return hidden.detach()


class CharRNN(nn.Module):
    """``CharRNN(vocab_size, embedding_dim=64, hidden_size=256, num_layers=2, cell='lstm',
    dropout=0.0)``.

    ``forward(x (T, B) int64, hidden=None) -> (logits (T, B, vocab_size), hidden)``: sequence
    first, as the truncated-BPTT batches of ``graphgrad.text`` come. ``hidden`` is the recurrent
    layer's state (``(h, c)`` for an LSTM) and is carried from one batch to the next."""

    def __init__(self, vocab_size: int, embedding_dim: int = 64, hidden_size: int = 256,
                 num_layers: int = 2, cell: str = "lstm", dropout: float = 0.0):
        super().__init__()
        self.vocab_size, self.cell = vocab_size, cell
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = recurrent_layer(cell, embedding_dim, hidden_size, num_layers, dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: Tensor, hidden=None):
        if x.ndim != 2:
            raise ValueError(f"CharRNN: expected token ids of shape (T, B), got {tuple(x.shape)}")
        out, hidden = self.rnn(self.embedding(x), hidden)
        return self.head(self.dropout(out)), hidden

    def sample(self, prompt: list[int], length: int, temperature: float = 1.0,
               top_k: int | None = None, generator=None) -> list[int]:
        """``length`` new token ids continuing ``prompt`` (a non-empty list of ids), each drawn
        from ``softmax(logits / temperature)`` restricted to the ``top_k`` most likely ids;
        ``temperature=0`` takes the most likely id (greedy)."""
        check_sample_args("CharRNN", prompt, temperature, top_k)
        rng = backend.rng(generator)
        was_training = self.training
        self.eval()
        out = []
        with no_grad():
            x = Tensor._make(np.asarray(prompt, dtype=np.int64)[:, None])
            logits, hidden = self(x)
            last = logits.numpy()[-1, 0].astype(np.float64)
            for _ in range(length):
                token = pick_token(last, temperature, top_k, rng)
                out.append(token)
                logits, hidden = self(Tensor._make(np.array([[token]], dtype=np.int64)), hidden)
                last = logits.numpy()[-1, 0].astype(np.float64)
        self.train(was_training)
        return out


def check_sample_args(model: str, prompt, temperature: float, top_k) -> None:
    """The argument checks of a character model's ``sample``."""
    if not prompt:
        raise ValueError(f"{model}.sample: the prompt must hold at least one token")
    if temperature < 0:
        raise ValueError(f"{model}.sample: temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"{model}.sample: top_k must be >= 1, got {top_k}")


def pick_token(logits: np.ndarray, temperature: float, top_k: int | None, rng) -> int:
    """One id from 1-D ``logits`` at ``temperature`` among the ``top_k`` best (see ``sample``)."""
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    if top_k is not None and top_k < z.size:
        cut = np.partition(z, -top_k)[-top_k]
        z = np.where(z >= cut, z, -np.inf)
    p = np.exp(z - z.max())
    p /= p.sum()
    return int(rng.choice(p.size, p=p))
