"""What the training loop shows: a tqdm bar over the batches of each epoch, and one line per
finished epoch."""
from __future__ import annotations


def epoch_bar(enabled: bool, loader, epoch: int, epochs: int, initial: int = 0):
    """A tqdm bar over the batches of one epoch, starting at batch ``initial`` (None when progress
    is off)."""
    if not enabled:
        return None
    from tqdm import tqdm

    try:
        total = len(loader)
    except TypeError:
        total = None
    return tqdm(total=total, initial=initial, desc=f"epoch {epoch}/{epochs}", unit="batch",
                dynamic_ncols=True, leave=False)


def epoch_line(row: dict, keys=None, rate_key: str | None = None) -> str:
    """``epoch 3: train_loss=0.1234 val_loss=0.2345 (4.2s)``: the row's figures (``keys``, or all
    but the epoch, its time and its rate)."""
    skip = {"epoch", "time", rate_key}
    chosen = [k for k in (keys or row) if k in row and k not in skip]
    parts = [f"{k}={row[k]:.4f}" for k in chosen if isinstance(row[k], (int, float))
             and not isinstance(row[k], bool)]
    return f"epoch {row['epoch']}: " + " ".join(parts) + f" ({row['time']:.1f}s)"
