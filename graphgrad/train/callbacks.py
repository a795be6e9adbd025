"""Callbacks for ``Trainer.fit``: hooks called at epoch and batch boundaries. ``EarlyStopping``
stops training when a validation metric stops improving."""
from __future__ import annotations

import math


class Callback:
    """Override any hook. ``on_epoch_end`` may return True to stop training."""

    def on_fit_start(self, trainer) -> None: ...

    def on_epoch_start(self, trainer, epoch: int) -> None: ...

    def on_batch_end(self, trainer, step: int, loss: float) -> None: ...

    def on_epoch_end(self, trainer, row: dict) -> bool | None: ...

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

    def on_epoch_end(self, trainer, row: dict) -> bool:
        if self.monitor not in row:
            raise KeyError(f"EarlyStopping: metric {self.monitor!r} not in the epoch's metrics "
                           f"{sorted(row)}; pass a validation loader or monitor a train metric")
        value = row[self.monitor]
        if self._improved(value):
            self.best, self.bad_epochs, self.best_epoch = value, 0, row["epoch"]
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad_epochs": self.bad_epochs, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state["best"])
        self.bad_epochs = int(state["bad_epochs"])
        self.best_epoch = int(state["best_epoch"])
