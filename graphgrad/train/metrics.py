"""Classification metrics on NumPy arrays: accuracy, top-k accuracy, the confusion matrix and
per-class precision, recall and F1."""
from __future__ import annotations

import numpy as np


def _labels(targets) -> np.ndarray:
    """Class indices from index targets, or from soft/one-hot targets (argmax)."""
    t = np.asarray(targets)
    return t.argmax(axis=-1) if t.ndim == 2 else t.astype(np.int64)


def topk_correct(logits: np.ndarray, targets, k: int) -> int:
    """How many rows of ``logits`` (N, C) have their target among the k largest scores."""
    logits = np.asarray(logits)
    y = _labels(targets)
    k = min(k, logits.shape[1])
    if k == 1:
        return int((logits.argmax(axis=1) == y).sum())
    top = np.argpartition(-logits, k - 1, axis=1)[:, :k]
    return int((top == y[:, None]).any(axis=1).sum())


def confusion_matrix(predictions, targets, num_classes: int) -> np.ndarray:
    """(C, C) counts; row = true class, column = predicted class."""
    y = _labels(targets)
    p = np.asarray(predictions).astype(np.int64)
    return np.bincount(y * num_classes + p, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes)


def per_class_scores(confusion: np.ndarray) -> dict:
    """Precision, recall and F1 per class (0 where undefined) from a confusion matrix."""
    tp = np.diag(confusion).astype(np.float64)
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return {"precision": precision, "recall": recall, "f1": f1}
