"""Capture and restore every random state a training run draws from, as JSON-safe data, so that a
resumed run continues with exactly the numbers an uninterrupted run would have drawn."""
from __future__ import annotations

import random

import numpy as np

from .. import backend


def capture() -> dict:
    """graphgrad's generator, NumPy's legacy global generator and Python's ``random``."""
    legacy = np.random.get_state()
    py = random.getstate()
    return {
        "graphgrad": backend.default_generator.get_state(),
        "numpy_legacy": [legacy[0], np.asarray(legacy[1]).tolist(), int(legacy[2]), int(legacy[3]),
                         float(legacy[4])],
        "python": [py[0], list(py[1]), py[2]],
    }


def restore(state: dict) -> None:
    backend.default_generator.set_state(_to_plain(state["graphgrad"]))
    name, keys, pos, has_gauss, cached = state["numpy_legacy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss),
                         float(cached)))
    version, internal, gauss = state["python"]
    random.setstate((int(version), tuple(int(v) for v in internal), gauss))


def _to_plain(value):
    """Undo what a save/load round trip may have turned into tensors or floats."""
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (int, float, str)):
        return value.item()
    return value
