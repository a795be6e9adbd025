"""Sequence to sequence (Sutskever, Vinyals, Le 2014): an LSTM encoder reads the source, an LSTM
decoder started from its final state writes the target. Options: the reversed-input trick,
Bahdanau (additive, 2015) or Luong (multiplicative "general", 2015) attention over the encoder
outputs, teacher forcing with a ratio, greedy and beam-search decoding.

Token ids: ``pad_index`` pads both sides (and is ignored by the loss), every target starts with
``bos_index`` and ends with ``eos_index``."""
from __future__ import annotations

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..autograd.tensor import Tensor
from ..nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ..ops.joining import cat

ATTENTION = (None, "bahdanau", "luong")


def reverse_padded(tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reverse each row of ``tokens (B, T)`` within its length; padding stays at the end."""
    t = np.arange(tokens.shape[1])[None, :]
    lengths = np.asarray(lengths)[:, None]
    idx = np.where(t < lengths, lengths - 1 - t, t)
    return np.take_along_axis(tokens, idx, axis=1)


class Seq2Seq(nn.Module):
    """``Seq2Seq(src_vocab_size, tgt_vocab_size, embedding_dim=64, hidden_size=128, num_layers=1,
    attention=None, reverse_input=False, dropout=0.0, pad_index=0, bos_index=2, eos_index=3)``.

    ``forward(src (B, S), src_lengths (B,), tgt_in (B, T), teacher_forcing=1.0)`` -> logits
    ``(B, T, tgt_vocab_size)`` predicting ``tgt_out`` (``tgt_in`` shifted by one). With
    ``teacher_forcing < 1`` each step feeds the model's own previous prediction with probability
    ``1 - teacher_forcing``. ``greedy_decode`` and ``beam_search`` return lists of id lists
    (without BOS/EOS)."""

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embedding_dim: int = 64,
                 hidden_size: int = 128, num_layers: int = 1, attention: str | None = None,
                 reverse_input: bool = False, dropout: float = 0.0, pad_index: int = 0,
                 bos_index: int = 2, eos_index: int = 3):
        super().__init__()
        if attention not in ATTENTION:
            raise ValueError(f"Seq2Seq: attention must be None, 'bahdanau' or 'luong', got "
                             f"{attention!r}")
        self.attention, self.reverse_input = attention, bool(reverse_input)
        self.pad_index, self.bos_index, self.eos_index = pad_index, bos_index, eos_index
        self.tgt_vocab_size = tgt_vocab_size
        self.src_embedding = nn.Embedding(src_vocab_size, embedding_dim, padding_idx=pad_index)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, embedding_dim, padding_idx=pad_index)
        drop = dropout if num_layers > 1 else 0.0
        self.encoder = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True,
                               dropout=drop)
        dec_in = embedding_dim + (hidden_size if attention == "bahdanau" else 0)
        self.decoder = nn.LSTM(dec_in, hidden_size, num_layers, batch_first=True, dropout=drop)
        self.dropout = nn.Dropout(dropout)
        if attention == "bahdanau":
            self.attn_query = nn.Linear(hidden_size, hidden_size, bias=False)
            self.attn_key = nn.Linear(hidden_size, hidden_size)
            self.attn_v = nn.Linear(hidden_size, 1, bias=False)
            self.out = nn.Linear(2 * hidden_size, tgt_vocab_size)
        elif attention == "luong":
            self.attn_general = nn.Linear(hidden_size, hidden_size, bias=False)
            self.attn_combine = nn.Linear(2 * hidden_size, hidden_size, bias=False)
            self.out = nn.Linear(hidden_size, tgt_vocab_size)
        else:
            self.out = nn.Linear(hidden_size, tgt_vocab_size)
        self.last_attention = None   # (B, T, S) array: weights of the last decode, for plots

    # ------------------------------------------------------------------ encoder
    def encode(self, src, src_lengths):
        """-> (outputs (B, S, H), final state (h, c), mask (B, S) bool, keys or None)."""
        tokens = _as_array(src)
        lengths = _as_array(src_lengths).astype(np.int64)
        if tokens.ndim != 2 or lengths.shape != (tokens.shape[0],):
            raise ValueError(f"Seq2Seq: expected src (B, S) and src_lengths (B,), got "
                             f"{tokens.shape} and {lengths.shape}")
        if self.reverse_input:
            tokens = reverse_padded(tokens, lengths)
        emb = self.dropout(self.src_embedding(Tensor._make(tokens)))
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.encoder(packed)
        outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        mask = np.arange(tokens.shape[1])[None, :] < lengths[:, None]
        keys = self.attn_key(outputs) if self.attention == "bahdanau" else None
        return outputs, state, Tensor._make(mask), keys

    # ------------------------------------------------------------------ decoder
    def _attend(self, scores, memory, mask):
        """softmax over source positions (padding masked) -> (context (B, T, H), weights)."""
        scores = scores.masked_fill(~mask.unsqueeze(1), -1e9)
        weights = scores.softmax(dim=-1)
        return weights.bmm(memory), weights

    def decode(self, tgt_tokens, state, memory):
        """Teacher-forced decoding of ``tgt_tokens (B, T)`` from ``state``; ``memory`` is the
        ``encode`` result. Returns (logits (B, T, V), new state, attention weights or None)."""
        outputs, _, mask, keys = memory
        emb = self.dropout(self.tgt_embedding(tgt_tokens))
        if self.attention == "bahdanau":     # the context feeds the step, so go step by step
            logits, weights = [], []
            for t in range(emb.shape[1]):
                query = self.attn_query(state[0][-1]).unsqueeze(1)          # (B, 1, H)
                scores = self.attn_v((keys + query).tanh()).squeeze(2).unsqueeze(1)  # (B, 1, S)
                context, w = self._attend(scores, outputs, mask)
                step_in = cat([emb[:, t:t + 1], context], dim=2)
                dec, state = self.decoder(step_in, state)
                logits.append(self.out(self.dropout(cat([dec, context], dim=2))))
                weights.append(w)
            return cat(logits, dim=1), state, cat(weights, dim=1)
        dec, state = self.decoder(emb, state)
        if self.attention == "luong":
            scores = self.attn_general(dec).bmm(outputs.transpose(1, 2))    # (B, T, S)
            context, weights = self._attend(scores, outputs, mask)
            combined = self.attn_combine(cat([context, dec], dim=2)).tanh()
            return self.out(self.dropout(combined)), state, weights
        return self.out(self.dropout(dec)), state, None

    def forward(self, src, src_lengths, tgt_in, teacher_forcing: float = 1.0):
        memory = self.encode(src, src_lengths)
        tgt = tgt_in if isinstance(tgt_in, Tensor) else Tensor._make(np.asarray(tgt_in))
        if teacher_forcing >= 1.0:
            logits, _, weights = self.decode(tgt, memory[1], memory)
            self.last_attention = None if weights is None else weights.detach().numpy()
            return logits
        rng = backend.rng()
        state, token, logits = memory[1], tgt[:, :1], []
        for t in range(tgt.shape[1]):
            step, state, _ = self.decode(token, state, memory)
            logits.append(step)
            if t + 1 < tgt.shape[1]:
                own = Tensor._make(step.detach().numpy().argmax(-1))
                use_truth = rng.random(tgt.shape[0]) < teacher_forcing
                token = Tensor._make(np.where(use_truth[:, None], tgt[:, t + 1:t + 2].numpy(),
                                              own.numpy()))
        return cat(logits, dim=1)

    # --------------------------------------------------------------- inference
    def greedy_decode(self, src, src_lengths, max_len: int = 50) -> list[list[int]]:
        """Feed back the most likely token until EOS or ``max_len`` tokens."""
        was_training = self.training
        self.eval()
        with no_grad():
            memory = self.encode(src, src_lengths)
            batch = memory[0].shape[0]
            token = Tensor._make(np.full((batch, 1), self.bos_index, dtype=np.int64))
            state, steps, weights = memory[1], [], []
            done = np.zeros(batch, dtype=bool)
            for _ in range(max_len):
                logits, state, w = self.decode(token, state, memory)
                nxt = logits.numpy()[:, 0].argmax(-1)
                steps.append(nxt)
                if w is not None:
                    weights.append(w.numpy())
                done |= nxt == self.eos_index
                if done.all():
                    break
                token = Tensor._make(nxt[:, None].astype(np.int64))
        self.train(was_training)
        self.last_attention = np.concatenate(weights, axis=1) if weights else None
        return [_until_eos(row, self.eos_index) for row in np.stack(steps, axis=1)]

    def beam_search(self, src, src_lengths, beam_size: int = 5, max_len: int = 50,
                    length_penalty: float = 1.0) -> list[list[int]]:
        """Keep the ``beam_size`` best partial targets per source (all sources at once); finished
        hypotheses are ranked by log-probability / length ** ``length_penalty``."""
        if beam_size < 1:
            raise ValueError(f"Seq2Seq.beam_search: beam_size must be >= 1, got {beam_size}")
        was_training = self.training
        self.eval()
        k = beam_size
        with no_grad():
            outputs, state, mask, keys = self.encode(src, src_lengths)
            batch = outputs.shape[0]
            rep = Tensor._make(np.repeat(np.arange(batch), k))
            memory = (outputs.index_select(0, rep), None, mask.index_select(0, rep),
                      keys.index_select(0, rep) if keys is not None else None)
            state = tuple(s.index_select(1, rep) for s in state)
            scores = np.full((batch, k), -np.inf)
            scores[:, 0] = 0.0
            history = np.zeros((batch, k, 0), dtype=np.int64)
            lengths = np.zeros((batch, k), dtype=np.int64)
            finished = np.zeros((batch, k), dtype=bool)
            token = np.full((batch * k, 1), self.bos_index, dtype=np.int64)
            vocab = self.tgt_vocab_size
            for _ in range(max_len):
                logits, state, _ = self.decode(Tensor._make(token), state, memory)
                logp = logits.log_softmax(dim=-1).numpy()[:, 0].astype(np.float64)
                logp = logp.reshape(batch, k, vocab)
                logp[finished] = -np.inf                     # a finished beam only repeats EOS
                logp[finished, self.eos_index] = 0.0
                cand = (scores[:, :, None] + logp).reshape(batch, k * vocab)
                best = np.argsort(-cand, axis=1, kind="stable")[:, :k]
                beam, tok = best // vocab, best % vocab
                scores = np.take_along_axis(cand, best, axis=1)
                history = np.concatenate([np.take_along_axis(history, beam[:, :, None], axis=1),
                                          tok[:, :, None]], axis=2)
                was_done = np.take_along_axis(finished, beam, axis=1)
                lengths = np.take_along_axis(lengths, beam, axis=1) + ~was_done
                finished = was_done | (tok == self.eos_index)
                order = Tensor._make((np.arange(batch)[:, None] * k + beam).reshape(-1))
                state = tuple(s.index_select(1, order) for s in state)
                token = tok.reshape(-1, 1).astype(np.int64)
                if finished.all():
                    break
        self.train(was_training)
        ranked = scores / np.maximum(lengths, 1) ** length_penalty
        pick = ranked.argmax(axis=1)
        return [_until_eos(history[b, pick[b]], self.eos_index) for b in range(batch)]


def _as_array(x) -> np.ndarray:
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def _until_eos(ids, eos: int) -> list[int]:
    out = []
    for i in ids:
        if int(i) == eos:
            break
        out.append(int(i))
    return out
