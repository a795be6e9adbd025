"""The training loop's checkpoint file: what it holds, the error a failed write raises, and a quick
look at a run's progress without building its model.

A checkpoint is one ``graphgrad.save`` archive (no pickle) holding, under the step's names, every
module's and optimizer's ``state_dict`` (``model``/``optimizer`` for one model; ``generator``,
``discriminator``, ``g_optimizer``, ``d_optimizer``, ... for a GAN), ``scheduler`` (and
``scheduler_1``, ...), and the loop's own state: ``epoch`` (complete epochs), ``global_step``,
``elapsed`` (training seconds across resumes), ``epochs`` (the planned number), ``history``, the
callbacks' states, every random generator's state at the batch boundary it was written at, and,
for a checkpoint written within an epoch, ``mid_epoch``: how many batches of it were done, the
random state at the epoch's start (to replay its shuffle), the running sums of its figures and
the step's own state (a carried hidden state).
"""
from __future__ import annotations

import json
import os

from ..serialization import load


class CheckpointWriteError(OSError):
    """A checkpoint (or ``metrics.jsonl``) could not be written: the disk is full, the folder is
    read-only, ... The message is one line that says which file, why, and that the previous
    checkpoint is intact; ``errno`` is the operating system's error number."""


def write_error(path: str, exc: OSError, last: str | None) -> CheckpointWriteError:
    """The ``CheckpointWriteError`` for ``exc`` raised while writing ``path``; ``last`` describes
    the checkpoint left in place (None: there is none yet)."""
    why = exc.strerror or str(exc)
    kept = (f"the previous checkpoint ({last}) is intact" if last
            else "no earlier checkpoint exists")
    err = CheckpointWriteError(f"could not write {path}: {why}; {kept}: resume the run once there "
                               "is room (or from a copy of its folder elsewhere)")
    err.errno = exc.errno
    return err


def require_checkpoint(run_dir, who: str) -> str:
    """The checkpoint path to resume from, or a FileNotFoundError that says where it looked."""
    if run_dir is None or not os.path.exists(run_dir.checkpoint):
        where = run_dir.path if run_dir is not None else "<no run_dir>"
        raise FileNotFoundError(f"{who}.fit(resume=True): no checkpoint to resume from in {where}")
    return run_dir.checkpoint


def progress(path: str) -> dict:
    """``{"epoch": complete epochs, "global_step": steps, "in_epoch": True if written within an
    epoch, "epochs": the planned number}`` of the checkpoint at ``path``."""
    state = load(path)
    if "epoch" not in state or "global_step" not in state:
        raise ValueError(f"{path} is not a training checkpoint (it has {', '.join(sorted(state))})")
    mid = json.loads(state["mid_epoch"]) if "mid_epoch" in state else None
    return {"epoch": int(state["epoch"]), "global_step": int(state["global_step"]),
            "in_epoch": bool(mid), "epochs": int(state.get("epochs", state["epoch"]))}


__all__ = ["CheckpointWriteError", "progress", "require_checkpoint"]
