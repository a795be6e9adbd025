"""What the optimisation claims (momentum, regularisation, batch norm) share: the embedded MNIST
sample as normalised arrays and a seeded minibatch loop that records the loss on a fixed set
(accuracy on arrays is ``training.accuracy``).

These claims need only a few thousand digits, so they always use the sample that installs with
graphgrad (4,000 training and 1,000 test digits, 400 and 100 per class), whatever ``--data`` says;
their metrics say so."""
from __future__ import annotations

import math

import numpy as np

from .. import no_grad, tensor
from ..nn import functional as F
from ..vision.datasets.mnist_sample import load_mnist_sample, split_indices

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
SAMPLE = "embedded MNIST sample ({n_train} training / {n_test} test digits)"


def sample_digits(train: bool, per_class: int | None = None):
    """The sample's training (4,000) or test (1,000) digits as ``x`` (N, 1, 28, 28) float32,
    normalised with MNIST's mean and std, and ``y`` (N,) int64; ``per_class`` keeps the first
    ``per_class`` digits of each class (in file order), for a small balanced subset."""
    images, labels = load_mnist_sample()
    rows = split_indices(labels, train)
    if per_class is not None:
        keep = np.concatenate([rows[labels[rows] == c][:per_class] for c in range(10)])
        rows = np.sort(keep)
    x = (images[rows].astype(np.float32) / 255.0 - MNIST_MEAN) / MNIST_STD
    return x.reshape(-1, 1, 28, 28), labels[rows].astype(np.int64)


def finite(value: float):
    """``value`` as a float, or None when it is NaN or infinite (JSON has no NaN)."""
    value = float(value)
    return value if math.isfinite(value) else None


def full_loss(model, x, y, chunk: int = 1000) -> float:
    """The mean cross-entropy of ``model`` on all of (x, y), in eval mode, without a graph."""
    was_training = model.training
    model.eval()
    total = 0.0
    with no_grad():
        for start in range(0, len(x), chunk):
            logits = model(tensor(x[start:start + chunk]))
            total += F.cross_entropy(logits, tensor(y[start:start + chunk]),
                                     reduction="sum").item()
    model.train(was_training)
    return total / len(x)


def train_and_record(model, optimizer, x, y, steps: int, batch: int, seed: int, every: int):
    """``steps`` SGD steps on shuffled minibatches of (x, y) (the order drawn from ``seed``), and
    the loss on all of (x, y) before the first step and after every ``every`` steps: returns
    (step numbers, losses), a loss None once it is no longer finite (the run diverged; it stops)."""
    order_rng = np.random.default_rng(seed)
    order = order_rng.permutation(len(x))
    at, losses = [0], [finite(full_loss(model, x, y))]
    position = 0
    for step in range(1, steps + 1):
        if position + batch > len(order):
            order, position = order_rng.permutation(len(x)), 0
        rows = order[position:position + batch]
        position += batch
        loss = F.cross_entropy(model(tensor(x[rows])), tensor(y[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % every == 0 or step == steps:
            at.append(step)
            losses.append(finite(full_loss(model, x, y)))
            if losses[-1] is None:
                break
    return at, losses


def first_step_below(at, losses, threshold: float):
    """The first recorded step whose loss is below ``threshold``, or None if none is."""
    for step, loss in zip(at, losses):
        if loss is not None and loss < threshold:
            return step
    return None
