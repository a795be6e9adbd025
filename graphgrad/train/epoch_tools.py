"""Pieces every training loop of graphgrad shares (classifier, language model, GAN): the per-epoch
progress bar, the checkpoint written when the user presses Ctrl-C, and the resume precondition."""
from __future__ import annotations

import os


def epoch_bar(enabled: bool, loader, epoch: int, epochs: int, initial: int = 0):
    """A tqdm bar over the batches of one epoch (None when progress is off)."""
    if not enabled:
        return None
    from tqdm import tqdm

    try:
        total = len(loader)
    except TypeError:
        total = None
    return tqdm(total=total, initial=initial, desc=f"epoch {epoch}/{epochs}", unit="batch",
                dynamic_ncols=True, leave=False)


def save_interrupted(trainer, bar, **mid) -> None:
    """On Ctrl-C: close the bar and write a mid-epoch checkpoint (``mid`` holds what the loop needs
    to continue exactly), then tell the user how to resume. The caller re-raises."""
    if bar is not None:
        bar.close()
    if trainer.run_dir is not None:
        trainer.save_checkpoint(trainer.run_dir.checkpoint, mid)
        print(f"\ninterrupted: checkpoint saved in {trainer.run_dir.path}; continue with --resume",
              flush=True)


def require_checkpoint(run_dir, who: str) -> str:
    """The checkpoint path to resume from, or a FileNotFoundError that says where it looked."""
    if run_dir is None or not os.path.exists(run_dir.checkpoint):
        where = run_dir.path if run_dir is not None else "<no run_dir>"
        raise FileNotFoundError(f"{who}.fit(resume=True): no checkpoint to resume from in {where}")
    return run_dir.checkpoint
