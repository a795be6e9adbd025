"""``Trainer``: supervised training (a model, a loss of its outputs and the targets, an
optimizer) on the one loop, with validation, top-k accuracy, gradient clipping, mixup, schedules,
callbacks and checkpoints that resume exactly; and ``evaluate``, the classifier's test figures."""
from __future__ import annotations

import numpy as np

from .. import autograd
from ..distributed import all_gather_object, all_reduce_sums, rank_and_world_size
from .loop import Loop
from .metrics import confusion_matrix, per_class_scores, topk_correct
from .ranks import Ranks
from .schedules import Scheduled
from .step import LossStep


def _split_batch(batch):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(f"Trainer: expected batches of (inputs, targets), got {type(batch).__name__} "
                     f"of length {len(batch) if hasattr(batch, '__len__') else '?'}")


def _numpy(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


class SupervisedStep(LossStep):
    """The step of supervised learning on ``(inputs, targets)`` batches: ``loss_fn(model(x), y)``,
    backward, clipping, one optimizer step. ``mixup(x, y) -> (x, soft_y)`` transforms training
    batches. Logs ``train_loss`` and, for (N, C) outputs, ``train_acc``; validation gives
    ``val_loss``, ``val_acc`` and ``val_top{k}`` for the other ``topk`` (over every rank's share
    when training data-parallel)."""

    def __init__(self, model, loss_fn, optimizer, *, clip_grad_norm: float | None = None,
                 mixup=None, topk=(1, 5)):
        super().__init__(model, optimizer, None, clip_grad_norm=clip_grad_norm)
        self.criterion, self.mixup, self.topk = loss_fn, mixup, tuple(topk)

    def terms(self, batch) -> dict:
        x, y = _split_batch(batch)
        return {"loss": self.criterion(self.model(x), y)}

    def train_step(self, batch) -> dict:
        x, y = _split_batch(batch)
        if self.mixup is not None:
            x, y = self.mixup(x, y)
        out = self._forward(x)
        loss_value = self.update(self.criterion(out, y))
        logits = _numpy(out)
        correct = topk_correct(logits, _numpy(y), 1) if logits.ndim == 2 else 0
        return {"train_loss": loss_value, "train_acc": correct / max(logits.shape[0], 1)}

    def validate(self, data) -> dict:
        result = evaluate(self.model, data, self.criterion, topk=self.topk,
                          over_ranks=self.ranks is not None)
        row = {"val_loss": result["loss"], "val_acc": result["accuracy"]}
        row.update({f"val_top{k}": result[f"top{k}"] for k in self.topk if k != 1})
        return row

    def postfix(self, means: dict) -> dict:
        return {"loss": f"{means.get('train_loss', float('nan')):.4f}",
                "acc": f"{means.get('train_acc', float('nan')):.3f}"}


class Trainer(Loop):
    """Train ``model`` with ``loss_fn(model(x), y)`` and ``optimizer`` on the training loop
    (``graphgrad.train.Loop``, with ``SupervisedStep``).

    ``scheduler`` steps once per epoch or once per batch (``scheduler_step``; None chooses by its
    kind: per batch for OneCycleLR and CyclicLR); ReduceLROnPlateau gets ``val_loss`` (or
    ``train_loss`` without validation data). ``mixup(x, y) -> (x, soft_y)`` is applied to
    training batches. With ``run_dir``, checkpoints and ``metrics.jsonl`` are written (see
    ``Loop``) and ``fit(..., resume=True)`` continues exactly. ``time_limit``,
    ``checkpoint_every`` and ``checkpoint_first`` are ``Loop``'s.
    """

    def __init__(self, model, loss_fn, optimizer, scheduler=None, *,
                 scheduler_step: str | None = None, clip_grad_norm: float | None = None,
                 mixup=None, callbacks=(), run_dir=None, progress: bool = True, topk=(1, 5),
                 **loop_options):
        step = SupervisedStep(model, loss_fn, optimizer, clip_grad_norm=clip_grad_norm,
                              mixup=mixup, topk=topk)
        schedulers = [Scheduled(scheduler, scheduler_step)] if scheduler is not None else []
        super().__init__(step, schedulers=schedulers, callbacks=callbacks, run_dir=run_dir,
                         progress=progress, **loop_options)
        self.loss_fn, self.optimizer, self.scheduler = loss_fn, optimizer, scheduler
        self.topk = tuple(topk)

    def evaluate(self, loader, num_classes: int | None = None) -> dict:
        """Loss, accuracy, top-k accuracy, confusion matrix and per-class precision/recall/F1.
        On several ranks every rank calls it: each scores its share of ``loader``'s data, and
        every rank gets the figures over all of it."""
        ranks = Ranks.current()
        if ranks is not None:
            loader = ranks.shard_eval(loader)
        return evaluate(self.model, loader, self.loss_fn, num_classes=num_classes, topk=self.topk,
                        over_ranks=ranks is not None)


def evaluate(model, loader, loss_fn=None, num_classes: int | None = None, topk=(1, 5),
             over_ranks: bool = False) -> dict:
    """Evaluate a classifier over ``loader`` in eval mode without recording a graph.

    Returns a dict with ``loss`` (if ``loss_fn``), ``accuracy``, ``top{k}``, ``confusion`` (C, C),
    ``precision``/``recall``/``f1`` (per class), ``predictions``, ``targets`` and ``logits``.
    ``over_ranks`` (a graphgrad addition): ``loader`` holds this rank's contiguous share of the
    data (``graphgrad.train.ranks.shard_loader``); every rank calls ``evaluate`` and gets the
    figures over all shares, the arrays in the data's order."""
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
    if over_ranks and rank_and_world_size()[1] > 1:
        sums = all_reduce_sums({"loss": total_loss, "seen": seen,
                                **{f"top{k}": correct[k] for k in topk}})
        total_loss, seen = sums["loss"], int(sums["seen"])
        correct = {k: int(sums[f"top{k}"]) for k in topk}
        shares = [None] * rank_and_world_size()[1]
        all_gather_object(shares, (all_logits, all_targets))
        all_logits = [a for share in shares for a in share[0]]
        all_targets = [a for share in shares for a in share[1]]
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
