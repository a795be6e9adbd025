"""Training a claim's small classifiers on arrays with graphgrad's one loop (``train.Trainer``),
recording what a verdict needs: the error on the training and test images after every epoch and,
when asked, the training error every few steps (for claims about how fast training goes)."""
from __future__ import annotations

import numpy as np

from .. import manual_seed, no_grad, tensor
from ..train import Callback, Trainer
from ..utils.data import DataLoader, TensorDataset


def _correct(model, x: np.ndarray, y: np.ndarray, batch_size: int) -> int:
    """How many rows of ``x`` ``model`` classifies as their label (eval mode, no graph recorded;
    the model's mode is restored)."""
    was_training = model.training
    model.eval()
    right = 0
    with no_grad():
        for i in range(0, len(x), batch_size):
            logits = model(tensor(x[i:i + batch_size])).numpy()
            right += int((logits.argmax(axis=1) == y[i:i + batch_size]).sum())
    model.train(was_training)
    return right


def error_rate(model, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """The fraction of ``x`` that ``model`` classifies wrongly."""
    return (len(x) - _correct(model, x, y, batch_size)) / max(len(x), 1)


def accuracy(model, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """The fraction of ``x`` that ``model`` classifies rightly."""
    return _correct(model, x, y, batch_size) / max(len(x), 1)


class _Probe(Callback):
    """Every ``every`` steps (and before the first), the error on a fixed set of training images;
    with ``stop_at``, training stops once that error is at or below it."""

    def __init__(self, x, y, every: int, stop_at: float | None = None):
        self.x, self.y, self.every, self.stop_at = x, y, every, stop_at
        self.steps, self.errors, self._step = [], [], 0

    def on_fit_start(self, trainer) -> None:
        self._record(trainer.step.model)

    def on_batch_end(self, trainer, step, logs):
        self._step += 1
        if self._step % self.every == 0:
            self._record(trainer.step.model)
            return self.stop_at is not None and self.errors[-1] <= self.stop_at
        return False

    def _record(self, model):
        self.steps.append(self._step)
        self.errors.append(round(error_rate(model, self.x, self.y), 6))


def train_classifier(model, optimizer, data: dict, *, loss_fn, epochs: int, batch_size: int,
                     seed: int, probe_every: int | None = None, probe_size: int = 1000,
                     stop_at: float | None = None, train_eval_limit: int | None = None) -> dict:
    """Train ``model`` on ``data['x_train']``/``data['y_train']`` for ``epochs`` epochs of shuffled
    mini-batches (order drawn from ``seed``). Returns plain lists: ``train_loss`` (mean per
    epoch), ``train_error`` and ``test_error`` (after each epoch, on all the images), and with
    ``probe_every`` ``probe_steps``/``probe_error``: the error on a fixed random ``probe_size``
    of the training images every ``probe_every`` steps, from step 0 (training stops early once
    it is at or below ``stop_at``). ``train_eval_limit``: the per-epoch training error on a fixed
    random subset of that many training images instead of all (full MNIST is 60,000)."""
    x, y = data["x_train"], data["y_train"]
    probe = None
    if probe_every:
        # a random subset: the files may be sorted by class, so the first images are not a sample
        keep = np.random.default_rng(0).permutation(len(x))[:probe_size]
        probe = _Probe(x[keep], y[keep], probe_every, stop_at)

    seen = np.random.default_rng(1).permutation(len(x))[:train_eval_limit or len(x)]

    class _AfterEpoch(Callback):
        def on_epoch_end(self, trainer, logs):  # (also after an epoch cut short by the probe)
            train_error.append(round(error_rate(model, x[seen], y[seen]), 6))
            test_error.append(round(error_rate(model, data["x_test"], data["y_test"]), 6))

    train_error, test_error = [], []
    callbacks = [_AfterEpoch()] + ([probe] if probe else [])
    manual_seed(seed)
    trainer = Trainer(model, loss_fn, optimizer, callbacks=callbacks, progress=False, topk=(1,))
    loader = DataLoader(TensorDataset(tensor(x), tensor(y)), batch_size=batch_size, shuffle=True)
    history = trainer.fit(loader, epochs=epochs)
    out = {"train_loss": [round(float(row["train_loss"]), 6) for row in history],
           "train_error": train_error, "test_error": test_error}
    if probe:
        out["probe_steps"], out["probe_error"] = probe.steps, probe.errors
    return out
