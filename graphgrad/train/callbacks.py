"""Callbacks of the training loop: hooks called at fit, epoch and batch boundaries, with one
signature for every model family. ``EarlyStopping`` stops training when a metric stops improving."""
from __future__ import annotations

import math


class Callback:
    """Override any hook. ``trainer`` is the loop (``Loop``, ``Trainer``, ``GANTrainer``, ...):
    its ``epoch`` (complete epochs), ``global_step``, ``history``, ``run_dir`` and ``step``.

    - ``on_batch_end(trainer, step, logs)``: after training step number ``step``; ``logs`` is the
      step's dict of floats (``{"train_loss": ..., "train_acc": ...}``, ``{"d_loss": ..., ...}``).
      Return True to end training after this step (the epoch's row says ``partial``).
    - ``on_epoch_end(trainer, logs)``: ``logs`` is the epoch's row (``epoch``, the averaged
      figures, validation, ``lr``, ``time``); add entries to it to have them recorded. Return True
      to stop training.
    - ``on_checkpoint(trainer)``: just before a checkpoint is written (write files that must agree
      with it).
    - ``state_dict``/``load_state_dict``: JSON-able state, saved in every checkpoint.
    """

    def on_fit_start(self, trainer) -> None: ...

    def on_epoch_start(self, trainer, epoch: int) -> None: ...

    def on_batch_end(self, trainer, step: int, logs: dict) -> bool | None: ...

    def on_epoch_end(self, trainer, logs: dict) -> bool | None: ...

    def on_checkpoint(self, trainer) -> None: ...

    def on_fit_end(self, trainer) -> None: ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None: ...


class EarlyStopping(Callback):
    """Stop when ``monitor`` (a key of the epoch row, e.g. 'val_loss' or 'val_acc') has not improved
    by more than ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor: str = "val_loss", mode: str = "min", patience: int = 5,
                 min_delta: float = 0.0):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.patience, self.min_delta = monitor, mode, patience, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_epochs = 0
        self.best_epoch = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, logs: dict) -> bool:
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: metric {self.monitor!r} not in the epoch's metrics "
                           f"{sorted(logs)}; pass a validation loader or monitor a train metric")
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.bad_epochs, self.best_epoch = value, 0, logs["epoch"]
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad_epochs": self.bad_epochs, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state["best"])
        self.bad_epochs = int(state["bad_epochs"])
        self.best_epoch = int(state["best_epoch"])
