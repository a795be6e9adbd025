"""Training a recurrent language model with truncated backpropagation through time.

The token stream is cut into ``batch_size`` contiguous streams (``graphgrad.text.BPTTIterator``);
each step feeds ``seq_len`` tokens of every stream, carries the recurrent state into the next step
detached from the graph (so gradients flow back at most ``seq_len`` steps), clips the gradient
norm and steps the optimizer. Held-out text is scored in bits per character (or per token): the
mean cross-entropy in nats divided by ln 2.

Checkpoints follow ``Trainer``'s discipline: every epoch (and on Ctrl-C, mid-epoch, with the
carried state and every random generator) the run folder gets an atomic checkpoint from which
``fit(..., resume=True)`` continues exactly."""
from __future__ import annotations

import json
import math
import time

import numpy as np

from .. import autograd, load, save
from ..autograd.tensor import Tensor
from ..nn import functional as F
from ..nn.utils import clip_grad_norm_
from . import random_state
from .epoch_tools import epoch_bar, require_checkpoint, save_interrupted
from .run_dir import RunDir

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


def evaluate_bpc(model, ids, batch_size: int = 16, seq_len: int = 100) -> dict:
    """Mean cross-entropy of ``model`` on the token stream ``ids`` (state carried across chunks,
    no graph), as ``{'loss': nats per token, 'bpc': bits per token, 'tokens': n}``."""
    from ..text import BPTTIterator

    ids = np.asarray(ids, dtype=np.int64)
    batch_size = max(1, min(batch_size, (len(ids) - 1) // 2))
    was_training = model.training
    model.eval()
    total, count, hidden = 0.0, 0, None
    with autograd.no_grad():
        for x, y in BPTTIterator(ids, batch_size, seq_len):
            loss, hidden = _stream_loss(model, x, y, hidden)
            n = int(np.prod(y.shape))
            total += float(loss.item()) * n
            count += n
    model.train(was_training)
    if count == 0:
        raise ValueError(f"evaluate_bpc: {len(ids)} tokens are too few to score")
    return {"loss": total / count, "bpc": total / count / LN2, "tokens": count}


class LanguageModelTrainer:
    """Fit ``model(x (T, B), hidden) -> (logits (T, B, V), hidden)`` with truncated BPTT.

    ``sample_fn(trainer)`` (optional) is called every ``sample_every`` steps and after every epoch,
    e.g. to print generated text. ``time_limit`` (seconds) ends training early at the first step
    past it (the epoch is then recorded as partial). History rows: epoch, train_loss, train_bpc,
    val_loss, val_bpc, lr, time, tokens_per_s."""

    def __init__(self, model, optimizer, *, batch_size: int = 32, seq_len: int = 100,
                 clip_grad_norm: float | None = 5.0, scheduler=None, run_dir=None,
                 progress: bool = True, sample_fn=None, sample_every: int = 0,
                 time_limit: float | None = None, eval_batch_size: int = 16):
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.batch_size, self.seq_len, self.clip = batch_size, seq_len, clip_grad_norm
        self.run_dir = RunDir(run_dir) if isinstance(run_dir, str) else run_dir
        self.progress, self.sample_fn, self.sample_every = progress, sample_fn, sample_every
        self.time_limit, self.eval_batch_size = time_limit, eval_batch_size
        self.epoch, self.global_step, self.history = 0, 0, []
        self.elapsed = 0.0           # training seconds, across resumes
        self._mid = None

    def fit(self, train_ids, val_ids=None, epochs: int = 1, resume: bool = False) -> list:
        from ..text import BPTTIterator

        if resume:
            self.load_checkpoint(require_checkpoint(self.run_dir, "LanguageModelTrainer"))
        batches = BPTTIterator(train_ids, self.batch_size, self.seq_len)
        while self.epoch < epochs and not self._out_of_time():
            self._train_epoch(batches, val_ids, epochs)
        return self.history

    def _out_of_time(self) -> bool:
        return self.time_limit is not None and self.elapsed >= self.time_limit

    def _train_epoch(self, batches, val_ids, epochs) -> None:
        epoch = self.epoch + 1
        self.model.train()
        mid, self._mid = self._mid, None
        done, total, count, hidden = 0, 0.0, 0, None
        if mid:
            done, total, count = mid["step"], mid["total"], mid["count"]
            hidden = mid["hidden"]
            random_state.restore(mid["rng"])
        bar = epoch_bar(self.progress, batches, epoch, epochs, done)
        start, seen, partial = time.perf_counter(), 0, False
        base_elapsed = self.elapsed
        try:
            for i, (x, y) in enumerate(batches):
                if i < done:
                    continue
                loss, hidden = _stream_loss(self.model, x, y, hidden)
                value = float(loss.item())
                if not math.isfinite(value):
                    raise FloatingPointError(f"LanguageModelTrainer: the loss became {value} at "
                                             f"step {self.global_step + 1}; lower the learning "
                                             "rate or the clipping threshold")
                self.optimizer.zero_grad()
                loss.backward()
                if self.clip is not None:
                    clip_grad_norm_(self.model.parameters(), self.clip)
                self.optimizer.step()
                hidden = _detach(hidden)
                n = int(np.prod(y.shape))
                total, count, done, seen = total + value * n, count + n, done + 1, seen + n
                self.global_step += 1
                self.elapsed = base_elapsed + time.perf_counter() - start
                if bar is not None:
                    bar.set_postfix(bpc=f"{total / count / LN2:.3f}",
                                    rate=f"{seen / max(self.elapsed - base_elapsed, 1e-9):.0f} "
                                         "tok/s",
                                    refresh=False)
                    bar.update(1)
                every = self.sample_every
                if self.sample_fn and every and self.global_step % every == 0:
                    self._sample(bar)
                if self._out_of_time():
                    partial = True
                    break
        except KeyboardInterrupt:
            save_interrupted(self, bar, step=done, total=total, count=count, hidden=hidden,
                             rng=random_state.capture())
            raise
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - start
        row = {"epoch": epoch, "train_loss": total / max(count, 1),
               "train_bpc": total / max(count, 1) / LN2,
               "lr": float(self.optimizer.param_groups[0]["lr"]), "time": seconds,
               "tokens_per_s": seen / max(seconds, 1e-9), "step": self.global_step}
        if partial:
            row["partial"] = True
        if val_ids is not None:
            result = evaluate_bpc(self.model, val_ids, self.eval_batch_size, self.seq_len)
            row.update(val_loss=result["loss"], val_bpc=result["bpc"])
        if self.scheduler is not None:
            self.scheduler.step()
        self.epoch = epoch
        self.history.append(row)
        if self.run_dir is not None:
            self.run_dir.write_metrics(self.history)
            self.save_checkpoint(self.run_dir.checkpoint)
        if self.progress:
            parts = " ".join(f"{k}={row[k]:.4f}" for k in ("train_bpc", "val_bpc", "lr")
                             if k in row)
            print(f"epoch {epoch}: {parts} ({seconds:.1f}s)", flush=True)
        if self.sample_fn:
            self._sample(None)

    def _sample(self, bar) -> None:
        state = random_state.capture()   # sampling must not change the training's random draws
        text = self.sample_fn(self)
        random_state.restore(state)
        if text and self.progress:
            (bar.write if bar is not None else print)(text)

    # --------------------------------------------------------------- checkpoints
    def save_checkpoint(self, path: str, mid=None) -> None:
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "epoch": self.epoch, "global_step": self.global_step, "elapsed": self.elapsed,
                 "history": json.dumps(self.history), "rng": json.dumps(random_state.capture())}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if mid is not None:
            hidden = mid["hidden"]
            hidden = ([] if hidden is None else list(hidden) if isinstance(hidden, tuple)
                      else [hidden])
            state["mid"] = json.dumps({"step": mid["step"], "total": mid["total"],
                                       "count": mid["count"], "rng": mid["rng"],
                                       "hidden_kind": "tuple" if isinstance(mid["hidden"], tuple)
                                       else "none" if mid["hidden"] is None else "tensor"})
            state["mid_hidden"] = {str(i): h.detach() for i, h in enumerate(hidden)}
        save(state, path)

    def load_checkpoint(self, path: str) -> None:
        state = load(path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.global_step = int(state["epoch"]), int(state["global_step"])
        self.elapsed = float(state["elapsed"])
        self.history = json.loads(state["history"])
        random_state.restore(json.loads(state["rng"]))
        self._mid = None
        if "mid" in state:
            mid = json.loads(state["mid"])
            parts = [state["mid_hidden"][str(i)] for i in range(len(state["mid_hidden"]))]
            parts = [p if isinstance(p, Tensor) else Tensor._make(np.asarray(p)) for p in parts]
            kind = mid.pop("hidden_kind")
            mid["hidden"] = (None if kind == "none" else tuple(parts) if kind == "tuple"
                             else parts[0])
            self._mid = mid
