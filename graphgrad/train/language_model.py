"""Training a recurrent language model with truncated backpropagation through time.

The token stream is cut into ``batch_size`` contiguous streams (``graphgrad.text.BPTTIterator``);
each step feeds ``seq_len`` tokens of every stream, carries the recurrent state into the next step
detached from the graph (so gradients flow back at most ``seq_len`` steps), clips the gradient
norm and steps the optimizer. Held-out text is scored in bits per character (or per token): the
mean cross-entropy in nats divided by ln 2.

``LanguageModelStep`` is that step; ``LanguageModelTrainer`` is the training loop with it, so its
checkpoints (every epoch, within epochs and at Ctrl-C, with the carried state) resume exactly.

On N ranks (``graphgrad.train.ranks``) rank r trains the streams ``r * B / N`` to
``(r + 1) * B / N - 1`` of the ``B`` streams and carries their hidden state; every rank's loss is
the mean over its tokens, so the averaged gradient is the one process's, up to rounding. A
checkpoint holds the hidden state of all ``B`` streams, so that it resumes on any number of ranks;
held-out text is cut into its streams once, and each rank scores its share of them."""
from __future__ import annotations

import copy
import math

import numpy as np

from .. import autograd
from ..autograd.tensor import Tensor
from ..distributed import all_reduce_sums
from ..nn import functional as F
from . import random_state
from .callbacks import Callback
from .loop import Loop
from .step import LossStep

LN2 = math.log(2.0)


def _detach(hidden):
    if hidden is None:
        return None
    if isinstance(hidden, tuple):
        return tuple(h.detach() for h in hidden)
    return hidden.detach()


def _stream_loss(model, x, y, hidden):
    logits, hidden = model(x, hidden)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    return loss, hidden


def _scored_streams(model, ids, batch_size: int, seq_len: int, ranks=None) -> dict:
    """``{'loss': summed cross-entropy in nats, 'tokens': n}`` of ``model`` over the token stream
    ``ids`` cut into ``batch_size`` streams (``ranks``: this rank's share of the streams only)."""
    from ..text import BPTTIterator

    ids = np.asarray(ids, dtype=np.int64)
    batch_size = max(1, min(batch_size, (len(ids) - 1) // 2))
    total, count, hidden = 0.0, 0, None
    if len(ids) < 2 * batch_size:  # too few tokens: nothing to score (the caller says so)
        return {"loss": total, "tokens": count}
    batches = BPTTIterator(ids, batch_size, seq_len)
    if ranks is not None:
        batches = _with_streams(batches, ranks.share(batch_size))
        if batches.source.shape[1] == 0:  # more ranks than streams
            return {"loss": total, "tokens": count}
    was_training = model.training
    model.eval()
    with autograd.no_grad():
        for x, y in batches:
            loss, hidden = _stream_loss(model, x, y, hidden)
            n = int(np.prod(y.shape))
            total += float(loss.item()) * n
            count += n
    model.train(was_training)
    return {"loss": total, "tokens": count}


def evaluate_bpc(model, ids, batch_size: int = 16, seq_len: int = 100, ranks=None) -> dict:
    """Mean cross-entropy of ``model`` on the token stream ``ids`` (state carried across chunks,
    no graph), as ``{'loss': nats per token, 'bpc': bits per token, 'tokens': n}``. ``ranks`` (a
    ``graphgrad.train.ranks.Ranks``; every rank calls it): each rank scores its share of the
    ``batch_size`` streams, and the figures are over all of them, on every rank."""
    scored = _scored_streams(model, ids, batch_size, seq_len, ranks)
    if ranks is not None:
        scored = all_reduce_sums(scored)
    if scored["tokens"] <= 0:
        raise ValueError(f"evaluate_bpc: {len(ids)} tokens are too few to score")
    mean = scored["loss"] / scored["tokens"]
    return {"loss": mean, "bpc": mean / LN2, "tokens": int(scored["tokens"])}


def _with_streams(batches, columns: slice):
    """A copy of ``batches`` (a ``BPTTIterator``) that walks only the streams ``columns``."""
    out = copy.copy(batches)
    out.source = np.ascontiguousarray(batches.source[:, columns])
    return out


class StreamBatches:
    """The chunks of ``BPTTIterator(ids, batch_size, seq_len)`` as the training loop reads them; on
    several ranks ``shard(ranks)`` keeps this rank's equal share of the streams."""

    def __init__(self, ids, batch_size: int, seq_len: int):
        from ..text import BPTTIterator

        self.batches = BPTTIterator(ids, batch_size, seq_len)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        return iter(self.batches)

    def shard(self, ranks) -> "StreamBatches":
        out = copy.copy(self)
        streams = self.batches.source.shape[1]
        out.batches = _with_streams(self.batches, ranks.equal_share(streams, "batch_size"))
        return out


class LanguageModelStep(LossStep):
    """One chunk of every stream per step: ``model(x (T, B), hidden) -> (logits (T, B, V),
    hidden)``, cross-entropy against the next tokens, backward, clipping, an optimizer step; the
    hidden state is carried (detached) into the next step and reset at each epoch's start. Figures
    are weighted by tokens; the row gets ``train_bpc``, ``val_loss``/``val_bpc`` (on held-out
    token ids) and ``step``."""

    unit = "tokens"
    summary_keys = ("train_bpc", "val_bpc", "lr")

    def __init__(self, model, optimizer, *, clip_grad_norm: float | None = 5.0, seq_len: int = 100,
                 eval_batch_size: int = 16):
        super().__init__(model, optimizer, None, clip_grad_norm=clip_grad_norm)
        self.seq_len, self.eval_batch_size = seq_len, eval_batch_size
        self.hidden = None

    def count(self, batch) -> int:
        return int(np.prod(batch[1].shape))

    def start_epoch(self, epoch: int) -> None:
        self.hidden = None

    def train_step(self, batch) -> dict:
        x, y = batch
        loss, hidden = _stream_loss(self._forward, x, y, self.hidden)
        value = self.update(loss)
        self.hidden = _detach(hidden)
        return {"train_loss": value}

    def validate(self, ids) -> dict:
        result = evaluate_bpc(self.model, ids, self.eval_batch_size, self.seq_len, self.ranks)
        return {"val_loss": result["loss"], "val_bpc": result["bpc"]}

    def end_epoch(self, row: dict) -> None:
        row["train_bpc"] = row.get("train_loss", math.nan) / LN2
        row["step"] = self.loop.global_step

    def postfix(self, means: dict) -> dict:
        return {"bpc": f"{means.get('train_loss', math.nan) / LN2:.3f}"}

    def state_dict(self) -> dict:
        """The carried state of every stream (on several ranks, gathered from all of them: each
        part has the streams along axis 1, as (layers, batch, hidden) or a Transformer's
        (context, batch) tokens)."""
        h = self.hidden
        parts = [] if h is None else list(h) if isinstance(h, tuple) else [h]
        kind = "none" if h is None else "tuple" if isinstance(h, tuple) else "tensor"
        parts = [p.detach() for p in parts]
        if self.ranks is not None:
            parts = [self.ranks.concat_columns(p) for p in parts]
        return {"hidden_kind": kind, "hidden": parts}

    def load_state_dict(self, state: dict) -> None:
        if not state:
            return
        parts = [p if isinstance(p, Tensor) else Tensor._make(np.asarray(p))
                 for p in state["hidden"]]
        if self.ranks is not None:  # this rank's streams of the checkpoint's
            parts = [Tensor._make(np.ascontiguousarray(
                p._data[:, self.ranks.equal_share(p.shape[1], "batch_size")])) for p in parts]
        kind = state["hidden_kind"]
        self.hidden = None if kind == "none" else tuple(parts) if kind == "tuple" else parts[0]


class _TextSamples(Callback):
    """Show ``sample_fn(trainer)`` every ``every`` steps and after every epoch, drawing nothing
    from the training's random generators (on several ranks, rank 0 only)."""

    def __init__(self, sample_fn, every: int, show: bool):
        self.sample_fn, self.every, self.show = sample_fn, every, show

    def _sample(self, trainer) -> None:
        if not trainer.is_main_process:
            return
        state = random_state.capture()
        text = self.sample_fn(trainer)
        random_state.restore(state)
        if text and self.show:
            from tqdm import tqdm

            tqdm.write(text)

    def on_batch_end(self, trainer, step, logs) -> None:
        if self.every and step % self.every == 0:
            self._sample(trainer)

    def on_epoch_end(self, trainer, logs) -> None:
        self._sample(trainer)


class LanguageModelTrainer(Loop):
    """Fit ``model(x (T, B), hidden) -> (logits (T, B, V), hidden)`` with truncated BPTT on the
    training loop (``LanguageModelStep``).

    ``fit(train_ids, val_ids, epochs, resume)`` cuts ``train_ids`` into ``batch_size`` streams
    (``graphgrad.text.BPTTIterator``; on N ranks each trains ``batch_size / N`` of them).
    ``scheduler`` steps once per epoch. ``sample_fn(trainer)`` (optional) is called every
    ``sample_every`` steps and after every epoch, e.g. to print generated text. ``time_limit``
    (seconds, summed across resumes) ends training at the first step past it (the epoch is then
    recorded as partial). History rows: epoch, train_loss, train_bpc,
    val_loss, val_bpc, lr, time, tokens_per_s, step."""

    def __init__(self, model, optimizer, *, batch_size: int = 32, seq_len: int = 100,
                 clip_grad_norm: float | None = 5.0, scheduler=None, run_dir=None,
                 progress: bool = True, sample_fn=None, sample_every: int = 0,
                 time_limit: float | None = None, eval_batch_size: int = 16, callbacks=(),
                 **loop_options):
        step = LanguageModelStep(model, optimizer, clip_grad_norm=clip_grad_norm, seq_len=seq_len,
                                 eval_batch_size=eval_batch_size)
        callbacks = list(callbacks)
        if sample_fn is not None:
            callbacks.append(_TextSamples(sample_fn, sample_every, progress))
        super().__init__(step, schedulers=[(scheduler, "epoch")] if scheduler is not None else [],
                         callbacks=callbacks, run_dir=run_dir, progress=progress,
                         time_limit=time_limit, **loop_options)
        self.batch_size, self.seq_len, self.scheduler = batch_size, seq_len, scheduler

    @property
    def optimizer(self):
        return self.step.optimizer

    @optimizer.setter
    def optimizer(self, value) -> None:
        self.step.optimizer = value

    def fit(self, train_ids, val_ids=None, epochs: int = 1, resume: bool = False) -> list:
        """Train until ``epochs`` epochs are complete; returns the per-epoch history."""
        batches = StreamBatches(train_ids, self.batch_size, self.seq_len)
        return super().fit(batches, val_ids, epochs, resume)


__all__ = ["LanguageModelStep", "LanguageModelTrainer", "StreamBatches", "evaluate_bpc"]
