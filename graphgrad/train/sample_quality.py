"""A sample-quality score for generated digits that needs no external network: a digit classifier
(the ``mnist-cnn`` recipe's ``SimpleCNN``) reads the generated images, and we report

- the fraction classified with confidence (top softmax probability) >= ``threshold`` (0.9): how
  many samples look like *some* digit to the classifier;
- the predicted-class histogram (over the confident samples) and its entropy: ln 10 = 2.303 nats
  when all ten digits are equally common, lower when the generator favours a few (mode collapse),
  with ``classes_present`` counting the digits that occur at all.

The same score on real test digits is the ceiling to compare with.
"""
from __future__ import annotations

import math

import numpy as np

from .. import manual_seed, nn, no_grad, optim, tensor
from . import random_state

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def _as_array(images) -> np.ndarray:
    a = images.detach().numpy() if hasattr(images, "detach") else np.asarray(images)
    if a.ndim == 3:
        a = a[:, None]
    if a.ndim != 4:
        raise ValueError(f"sample_quality: expected images of shape (N, 1, H, W) or (N, H, W), "
                         f"got {a.shape}")
    return a.astype(np.float32, copy=False)


def classify_digits(classifier, images, batch_size: int = 250) -> np.ndarray:
    """Softmax probabilities (N, classes) of ``classifier`` on ``images`` (N, 1, 28, 28) with pixels
    in [0, 1]; the images are normalised with MNIST's mean and std as the classifier was trained."""
    x = (_as_array(images) - MNIST_MEAN) / MNIST_STD
    was_training = classifier.training
    classifier.eval()
    probs = []
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                logits = classifier(tensor(x[start:start + batch_size]))
                probs.append(logits.softmax(dim=1).numpy())
    finally:
        classifier.train(was_training)
    return np.concatenate(probs) if probs else np.zeros((0, 10), dtype=np.float32)


def sample_quality(classifier, images, threshold: float = 0.9, num_classes: int = 10) -> dict:
    """Score ``images`` (N, 1, 28, 28) in [0, 1] with ``classifier``.

    Returns ``n``, ``confident_fraction`` (top probability >= ``threshold``), ``mean_confidence``,
    ``histogram`` (predicted-class counts among the confident images), ``classes_present``
    (nonzero entries of it), ``entropy`` (of the normalised histogram, nats), ``max_entropy``
    (ln num_classes) and ``all_classes`` (every class present)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"sample_quality: threshold must be in (0, 1], got {threshold}")
    probs = classify_digits(classifier, images)
    if len(probs) == 0:
        raise ValueError("sample_quality: no images to score")
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    confident = confidence >= threshold
    histogram = np.bincount(predicted[confident], minlength=num_classes)
    share = histogram / max(histogram.sum(), 1)
    nonzero = share[share > 0]
    entropy = max(0.0, float(-(nonzero * np.log(nonzero)).sum()))
    return {"n": int(len(probs)), "threshold": float(threshold),
            "confident_fraction": float(confident.mean()),
            "mean_confidence": float(confidence.mean()),
            "histogram": histogram.astype(int).tolist(),
            "classes_present": int((histogram > 0).sum()),
            "entropy": entropy, "max_entropy": math.log(num_classes),
            "all_classes": bool((histogram > 0).all())}


def format_quality(score: dict) -> str:
    """One line: '83.1% of 1000 samples confident (>= 0.9); 10/10 digits; entropy 2.29/2.30 nats'."""
    return (f"{100 * score['confident_fraction']:.1f}% of {score['n']} samples classified with "
            f"confidence >= {score['threshold']:g}; {score['classes_present']}/"
            f"{len(score['histogram'])} digits among them; class-histogram entropy "
            f"{score['entropy']:.3f} of {score['max_entropy']:.3f} nats")


def mnist_digits(train: bool = True, data=None):
    """(images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64) of the embedded MNIST sample,
    or of the MNIST IDX files in folder ``data``."""
    from ..vision import datasets

    ds = datasets.MNISTSample(train=train) if data is None else datasets.MNIST(data, train=train)
    images = np.asarray(ds.data.numpy() if hasattr(ds.data, "numpy") else ds.data, dtype=np.float32)
    labels = np.asarray(ds.targets.numpy() if hasattr(ds.targets, "numpy") else ds.targets,
                        dtype=np.int64)
    return images[:, None] / 255.0, labels


def train_digit_classifier(epochs: int = 4, seed: int = 0, batch_size: int = 64, lr: float = 0.05,
                           data=None, limit: int | None = None, progress: bool = False):
    """Train the ``mnist-cnn`` recipe's network (``SimpleCNN``) briefly, with that recipe's
    optimizer (SGD, Nesterov momentum 0.9, weight decay 5e-4, one-cycle schedule peaking at ``lr``)
    on the embedded MNIST sample (or MNIST in ``data``): the fallback scorer when no trained run is
    given. ``limit`` trains on that many digits only (for quick trials).

    Returns ``(model in eval mode, test accuracy)``. The global random state is left as it was."""
    from ..models import SimpleCNN
    from ..utils.data import DataLoader, TensorDataset
    from .trainer import Trainer, evaluate

    saved = random_state.capture()
    try:
        manual_seed(seed)
        x, y = mnist_digits(True, data)
        xt, yt = mnist_digits(False, data)
        if limit:
            keep = np.random.default_rng(seed).permutation(len(x))[:int(limit)]
            x, y = x[keep], y[keep]
        norm = lambda a: tensor((a - MNIST_MEAN) / MNIST_STD)  # noqa: E731
        train = DataLoader(TensorDataset(norm(x), tensor(y)), batch_size=batch_size, shuffle=True)
        test = DataLoader(TensorDataset(norm(xt), tensor(yt)), batch_size=500)
        model = SimpleCNN()
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                              weight_decay=5e-4)
        schedule = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                                 steps_per_epoch=len(train))
        Trainer(model, nn.CrossEntropyLoss(), optimizer, schedule, scheduler_step="batch",
                progress=progress).fit(train, epochs=epochs)
        accuracy = evaluate(model, test)["accuracy"]
    finally:
        random_state.restore(saved)
    model.eval()
    return model, float(accuracy)


__all__ = ["classify_digits", "format_quality", "mnist_digits", "sample_quality",
           "train_digit_classifier"]
