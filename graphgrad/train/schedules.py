"""Learning-rate schedulers inside the training loop: when each one steps, what the plateau
scheduler is given, and how a schedule continues when a resumed run changes its length.

A scheduler steps once per batch or once per epoch. Unless told, the cyclic ones (``OneCycleLR``,
``CyclicLR``: their horizon is counted in optimizer steps) step per batch and every other one per
epoch. ``ReduceLROnPlateau`` steps per epoch with the monitored figure of the epoch's row (by
default ``val_loss``, else ``train_loss``). Kinds are told apart with ``isinstance``, so subclasses
behave as their base.
"""
from __future__ import annotations

from ..optim.lr_scheduler import CyclicLR, OneCycleLR, ReduceLROnPlateau

WHEN = ("batch", "epoch")
# What a scheduler has done so far (kept from a checkpoint when the plan changes); everything
# else in its state is its plan, which follows the run's (possibly new) configuration.
_PROGRESS = ("last_epoch", "_step_count", "_last_lr", "T_cur", "T_i")


class Scheduled:
    """A scheduler and when it steps ('batch' or 'epoch'; None: by its kind, see above)."""

    def __init__(self, scheduler, when: str | None = None, monitor: str | None = None):
        if when is None:
            when = "batch" if isinstance(scheduler, (OneCycleLR, CyclicLR)) else "epoch"
        if when not in WHEN:
            raise ValueError(f"scheduler step must be 'epoch' or 'batch', got {when!r}")
        if isinstance(scheduler, ReduceLROnPlateau) and when != "epoch":
            raise ValueError("ReduceLROnPlateau steps once per epoch, on the epoch's monitored "
                             "figure; it cannot step per batch")
        self.scheduler, self.when, self.monitor = scheduler, when, monitor

    def step(self, row: dict | None = None) -> None:
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(self._monitored(row or {}))
        else:
            self.scheduler.step()

    def _monitored(self, row: dict) -> float:
        keys = [self.monitor] if self.monitor else ["val_loss", "train_loss", "loss"]
        for key in keys:
            if key in row:
                return row[key]
        raise KeyError(f"ReduceLROnPlateau monitors {' or '.join(keys)}, which the epoch's row "
                       f"lacks (it has {', '.join(sorted(row))})")


def as_scheduled(schedulers) -> list:
    """``Scheduled`` entries from schedulers, ``(scheduler, when)`` pairs or ``Scheduled``s."""
    out = []
    for item in schedulers or ():
        if isinstance(item, Scheduled):
            out.append(item)
        elif isinstance(item, tuple):
            out.append(Scheduled(*item))
        else:
            out.append(Scheduled(item))
    return out


def load_progress(scheduler, saved: dict) -> None:
    """Continue ``scheduler`` from ``saved`` (a checkpoint's state) under the plan it was built
    with now: the steps taken come from ``saved``, the horizon (total steps, ``T_max``, step size,
    phase ends) stays the new one. This is how a resumed run that changes its number of epochs
    re-plans its schedules (a ``OneCycleLR`` made for more epochs takes its remaining steps from
    the step it had reached). A plateau scheduler has no plan: its state is loaded whole."""
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.load_state_dict(saved)
        return
    for key in _PROGRESS:
        if key in saved:
            setattr(scheduler, key, saved[key])
    for member, member_saved in zip(getattr(scheduler, "_schedulers", ()),
                                    saved.get("_schedulers", ())):
        load_progress(member, member_saved)


__all__ = ["Scheduled", "as_scheduled", "load_progress"]
