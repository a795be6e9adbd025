"""``Trainer``: the fit loop over a model, loaders, loss and optimizer, with validation, metrics,
a progress bar, checkpoints that resume exactly, gradient clipping, mixup and callbacks."""
from __future__ import annotations

import json
import math
import time

import numpy as np

from .. import autograd, load, save
from ..nn.utils import clip_grad_norm_
from . import random_state
from .callbacks import Callback
from .epoch_tools import epoch_bar, require_checkpoint, save_interrupted
from .metrics import confusion_matrix, per_class_scores, topk_correct
from .run_dir import RunDir


def _split_batch(batch):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(f"Trainer: expected batches of (inputs, targets), got {type(batch).__name__} "
                     f"of length {len(batch) if hasattr(batch, '__len__') else '?'}")


def _numpy(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


class Trainer:
    """Train ``model`` with ``loss_fn(model(x), y)`` and ``optimizer``.

    ``scheduler`` steps once per epoch (``scheduler_step='epoch'``; ReduceLROnPlateau gets the
    monitored validation loss) or once per batch (``'batch'``). ``mixup(x, y) -> (x, soft_y)`` is
    applied to training batches. With ``run_dir``, every epoch writes ``metrics.jsonl`` and an atomic
    checkpoint from which ``fit(..., resume=True)`` continues exactly.
    """

    def __init__(self, model, loss_fn, optimizer, scheduler=None, *, scheduler_step: str = "epoch",
                 clip_grad_norm: float | None = None, mixup=None, callbacks=(), run_dir=None,
                 progress: bool = True, topk=(1, 5)):
        if scheduler_step not in ("epoch", "batch"):
            raise ValueError(f"Trainer: scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scheduler, self.scheduler_step = scheduler, scheduler_step
        self.clip_grad_norm, self.mixup = clip_grad_norm, mixup
        self.callbacks: list[Callback] = list(callbacks)
        self.run_dir = RunDir(run_dir) if isinstance(run_dir, str) else run_dir
        self.progress, self.topk = progress, tuple(topk)
        self.epoch = 0          # completed epochs
        self.global_step = 0    # optimizer steps taken
        self.history: list[dict] = []
        self._resume_mid_epoch = None

    # ------------------------------------------------------------------ training
    def fit(self, train_loader, val_loader=None, epochs: int = 1, resume: bool = False) -> list:
        """Train until ``epochs`` epochs are complete; returns the per-epoch history."""
        if resume:
            self.load_checkpoint(require_checkpoint(self.run_dir, "Trainer"))
        for cb in self.callbacks:
            cb.on_fit_start(self)
        stop = False
        while self.epoch < epochs and not stop:
            stop = self._train_epoch(train_loader, val_loader, epochs)
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self.history

    def _train_epoch(self, loader, val_loader, epochs) -> bool:
        epoch = self.epoch + 1
        self.model.train()
        for cb in self.callbacks:
            cb.on_epoch_start(self, epoch)
        resume = self._resume_mid_epoch
        self._resume_mid_epoch = None
        if resume:
            random_state.restore(resume["epoch_rng"])
        epoch_rng = random_state.capture()
        batches = iter(loader)
        done = 0
        sums = {"loss": 0.0, "correct": 0, "seen": 0}
        if resume:
            for _ in range(resume["step_in_epoch"]):  # replay the shuffle, skip consumed batches
                next(batches)
            done = resume["step_in_epoch"]
            sums = dict(resume["sums"])
            random_state.restore(resume["rng"])
        bar = epoch_bar(self.progress, loader, epoch, epochs, done)
        start = time.perf_counter()
        seen_at_start = sums["seen"]
        try:
            for batch in batches:
                x, y = _split_batch(batch)
                loss_value, correct, n = self._train_step(x, y)
                done += 1
                sums["loss"] += loss_value * n
                sums["correct"] += correct
                sums["seen"] += n
                for cb in self.callbacks:
                    cb.on_batch_end(self, self.global_step, loss_value)
                if bar is not None:
                    rate = (sums["seen"] - seen_at_start) / max(time.perf_counter() - start, 1e-9)
                    bar.set_postfix(loss=f"{sums['loss'] / sums['seen']:.4f}",
                                    acc=f"{sums['correct'] / sums['seen']:.3f}",
                                    rate=f"{rate:.0f} img/s", refresh=False)
                    bar.update(1)
        except KeyboardInterrupt:
            save_interrupted(self, bar, step_in_epoch=done, sums=sums, epoch_rng=epoch_rng,
                             rng=random_state.capture())
            raise
        if bar is not None:
            bar.close()
        elapsed = time.perf_counter() - start
        row = {"epoch": epoch, "train_loss": sums["loss"] / max(sums["seen"], 1),
               "train_acc": sums["correct"] / max(sums["seen"], 1),
               "lr": float(self.optimizer.param_groups[0]["lr"]),
               "time": elapsed, "images_per_s": (sums["seen"] - seen_at_start) / max(elapsed, 1e-9)}
        if val_loader is not None:
            result = self.evaluate(val_loader)
            row.update({"val_loss": result["loss"], "val_acc": result["accuracy"]})
            for k in self.topk:
                if k != 1:
                    row[f"val_top{k}"] = result[f"top{k}"]
        if self.scheduler is not None and self.scheduler_step == "epoch":
            if type(self.scheduler).__name__ == "ReduceLROnPlateau":
                self.scheduler.step(row.get("val_loss", row["train_loss"]))
            else:
                self.scheduler.step()
        self.epoch = epoch
        self.history.append(row)
        stop = False
        for cb in self.callbacks:
            stop = bool(cb.on_epoch_end(self, row)) or stop
        if self.run_dir is not None:
            self.run_dir.write_metrics(self.history)
            self.save_checkpoint(self.run_dir.checkpoint)
        if self.progress:
            parts = [f"{k}={v:.4f}" for k, v in row.items() if k not in ("epoch", "time", "images_per_s")]
            print(f"epoch {epoch}: " + " ".join(parts) + f" ({row['time']:.1f}s)", flush=True)
        return stop

    def _train_step(self, x, y):
        if self.mixup is not None:
            x, y = self.mixup(x, y)
        out = self.model(x)
        loss = self.loss_fn(out, y)
        loss_value = float(loss.item())
        if not math.isfinite(loss_value):
            raise FloatingPointError(
                f"Trainer: the loss became {loss_value} at step {self.global_step + 1}; lower the "
                "learning rate, or find the op with graphgrad.autograd.detect_anomaly()")
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip_grad_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
        self.optimizer.step()
        self.global_step += 1
        if self.scheduler is not None and self.scheduler_step == "batch":
            self.scheduler.step()
        logits = _numpy(out)
        n = logits.shape[0]
        correct = topk_correct(logits, _numpy(y), 1) if logits.ndim == 2 else 0
        return loss_value, correct, n

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, loader, num_classes: int | None = None) -> dict:
        """Loss, accuracy, top-k accuracy, confusion matrix and per-class precision/recall/F1."""
        return evaluate(self.model, loader, self.loss_fn, num_classes=num_classes, topk=self.topk)

    # --------------------------------------------------------------- checkpoints
    def state_dict(self, mid_epoch=None) -> dict:
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "global_step": self.global_step,
            # JSON text: the generator states hold 128-bit integers
            "history": json.dumps(self.history),
            "rng": json.dumps(random_state.capture()),
            "callbacks": json.dumps([cb.state_dict() for cb in self.callbacks]),
            "mid_epoch": json.dumps(mid_epoch),
        }
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        return state

    def save_checkpoint(self, path: str, mid_epoch=None) -> None:
        """Write everything needed to continue exactly (atomically)."""
        save(self.state_dict(mid_epoch), path)

    def load_checkpoint(self, path: str) -> None:
        state = load(path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch = int(state["epoch"])
        self.global_step = int(state["global_step"])
        self.history = json.loads(state["history"])
        for cb, cb_state in zip(self.callbacks, json.loads(state["callbacks"])):
            cb.load_state_dict(cb_state)
        random_state.restore(json.loads(state["rng"]))
        self._resume_mid_epoch = json.loads(state["mid_epoch"])


def evaluate(model, loader, loss_fn=None, num_classes: int | None = None, topk=(1, 5)) -> dict:
    """Evaluate a classifier over ``loader`` in eval mode without recording a graph.

    Returns a dict with ``loss`` (if ``loss_fn``), ``accuracy``, ``top{k}``, ``confusion`` (C, C),
    ``precision``/``recall``/``f1`` (per class), ``predictions`` and ``targets``."""
    was_training = model.training
    model.eval()
    total_loss, seen = 0.0, 0
    correct = {k: 0 for k in topk}
    all_logits, all_targets = [], []
    with autograd.no_grad():
        for batch in loader:
            x, y = _split_batch(batch)
            out = model(x)
            n = out.shape[0]
            if loss_fn is not None:
                total_loss += float(loss_fn(out, y).item()) * n
            logits, targets = _numpy(out), _numpy(y)
            for k in topk:
                correct[k] += topk_correct(logits, targets, k)
            all_logits.append(logits)
            all_targets.append(targets if targets.ndim == 1 else targets.argmax(axis=1))
            seen += n
    model.train(was_training)
    if seen == 0:
        raise ValueError("evaluate: the loader produced no batches")
    logits = np.concatenate(all_logits)
    targets = np.concatenate(all_targets).astype(np.int64)
    predictions = logits.argmax(axis=1)
    classes = num_classes or logits.shape[1]
    confusion = confusion_matrix(predictions, targets, classes)
    result = {"accuracy": correct[topk[0]] / seen if topk[0] == 1 else float((predictions == targets).mean()),
              "confusion": confusion, "predictions": predictions, "targets": targets,
              "logits": logits}
    for k in topk:
        result[f"top{k}"] = correct[k] / seen
    if loss_fn is not None:
        result["loss"] = total_loss / seen
    result.update(per_class_scores(confusion))
    return result
