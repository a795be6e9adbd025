"""The playground's six toy data sets: points in the square [-6, 6]^2 with a label.

Classification (label +1 or -1): ``circle``, ``xor``, ``gauss`` (two Gaussians), ``spiral``.
Regression (label in [-1, 1]): ``plane``, ``multigauss``. Their shapes and the effect of ``noise``
follow the TensorFlow playground, so a lesson written for it reads the same here.

>>> (x_train, y_train), (x_test, y_test) = make_dataset("xor", noise=0.1, seed=3)
>>> x_train.shape, y_train.shape       # 500 points, half for training
((250, 2), (250,))
"""
from __future__ import annotations

import numpy as np

RADIUS = 6.0  # the points and the heat maps cover [-RADIUS, RADIUS]^2

# How many points each kind of problem generates (the TensorFlow playground's numbers).
NUM_POINTS = {"classification": 500, "regression": 1200}


def _circle(n: int, noise: float, rng: np.random.Generator):
    """Half the points inside radius 2.5 (label +1), half in the ring 3.5..5 (label -1)."""
    radius = 5.0
    inner = rng.uniform(0, radius * 0.5, n // 2)
    outer = rng.uniform(radius * 0.7, radius, n - n // 2)
    r = np.concatenate([inner, outer])
    angle = rng.uniform(0, 2 * np.pi, n)
    xy = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    # the label comes from the point moved by the noise; the point itself stays
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    label = np.where(np.hypot(*(xy + jitter).T) < radius * 0.5, 1.0, -1.0)
    return xy, label


def _xor(n: int, noise: float, rng: np.random.Generator):
    """Uniform points kept 0.3 away from the axes; label +1 where x1 * x2 >= 0."""
    xy = rng.uniform(-5, 5, (n, 2))
    xy += np.where(xy > 0, 0.3, -0.3)
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    moved = xy + jitter
    return xy, np.where(moved[:, 0] * moved[:, 1] >= 0, 1.0, -1.0)


def _gauss(n: int, noise: float, rng: np.random.Generator):
    """Two Gaussian blobs at (2, 2) (label +1) and (-2, -2) (label -1); noise widens them."""
    variance = 0.5 + 3.5 * min(noise, 0.5) / 0.5  # noise 0..0.5 spreads variance 0.5..4
    half = n // 2
    centres = np.concatenate([np.full((half, 2), 2.0), np.full((n - half, 2), -2.0)])
    xy = centres + rng.normal(0, np.sqrt(variance), (n, 2))
    return xy, np.concatenate([np.ones(half), -np.ones(n - half)])


def _spiral(n: int, noise: float, rng: np.random.Generator):
    """Two interleaved spiral arms of 1.75 turns, label +1 and -1."""
    arms = []
    for delta, label in ((0.0, 1.0), (np.pi, -1.0)):
        m = n // 2 if label > 0 else n - n // 2
        i = np.arange(m) / m
        r, t = i * 5, 1.75 * i * 2 * np.pi + delta
        xy = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (m, 2)) * noise
        arms.append((xy, np.full(m, label)))
    return np.concatenate([a[0] for a in arms]), np.concatenate([a[1] for a in arms])


def _plane(n: int, noise: float, rng: np.random.Generator):
    """Uniform points; the label rises linearly along x1 + x2 from -1 to 1 (clipped)."""
    xy = rng.uniform(-RADIUS, RADIUS, (n, 2))
    moved = xy + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    return xy, np.clip(moved.sum(axis=1) / 10, -1, 1)


# centre x, centre y, sign of the bump
_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _multigauss(n: int, noise: float, rng: np.random.Generator):
    """Uniform points; six bumps of alternating sign, each falling from +-1 at its centre to 0 at
    distance 2. A point's label is the bump with the largest magnitude there."""
    xy = rng.uniform(-RADIUS, RADIUS, (n, 2))
    moved = xy + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    dist = np.hypot(moved[:, None, 0] - _BUMPS[:, 0], moved[:, None, 1] - _BUMPS[:, 1])  # (n, 6)
    bumps = _BUMPS[:, 2] * np.clip(1 - dist / 2, 0, 1)
    strongest = np.abs(bumps).argmax(axis=1)
    return xy, bumps[np.arange(n), strongest]


GENERATORS = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral,
              "plane": _plane, "multigauss": _multigauss}
PROBLEM_OF = {"circle": "classification", "xor": "classification", "gauss": "classification",
              "spiral": "classification", "plane": "regression", "multigauss": "regression"}
TITLES = {"circle": "Circle", "xor": "Exclusive or", "gauss": "Two Gaussians", "spiral": "Spiral",
          "plane": "Plane", "multigauss": "Multiple Gaussians"}


def generate(name: str, num_points: int, noise: float, seed: int):
    """``num_points`` points of data set ``name`` in data-set order: (points (N, 2), labels (N,)),
    float64. ``noise`` is a fraction, 0 to 0.5 (the page's 0% to 50%)."""
    if name not in GENERATORS:
        raise ValueError(f"make_dataset: unknown data set {name!r}; expected one of "
                         f"{', '.join(GENERATORS)}")
    if not 0 <= noise <= 0.5:
        raise ValueError(f"make_dataset: noise must be between 0 and 0.5, got {noise}")
    return GENERATORS[name](int(num_points), float(noise), np.random.default_rng(seed))


def make_dataset(name: str, num_points: int | None = None, noise: float = 0.0,
                 train_fraction: float = 0.5, seed: int = 0):
    """The playground's data: ``((x_train, y_train), (x_test, y_test))`` as float32 NumPy arrays,
    points (N, 2) and labels (N,). The points are shuffled, then the first ``train_fraction`` of
    them are for training, as on the page. ``num_points`` defaults to 500 for classification and
    1,200 for regression; classification labels are +1 and -1."""
    if not 0 < train_fraction < 1:
        raise ValueError(f"make_dataset: train_fraction must be between 0 and 1, got {train_fraction}")
    if num_points is None:
        num_points = NUM_POINTS.get(PROBLEM_OF.get(name, ""), 500)
    points, labels = generate(name, num_points, noise, seed)
    order = np.random.default_rng(seed + 1).permutation(len(points))
    points, labels = points[order].astype(np.float32), labels[order].astype(np.float32)
    split = int(len(points) * train_fraction)
    return (points[:split], labels[:split]), (points[split:], labels[split:])
