"""Run one program, written once as a function of the framework module, on graphgrad and (where
installed) on PyTorch from the same initial weights, and compare what they compute.

A program is ``def program(torch, init, data) -> dict`` written as PyTorch code is written
(``nn = torch.nn``, ``F = torch.nn.functional``, ...). It calls ``init(model)`` once per model it
builds, right after building it: on PyTorch that records the model's initial weights, on graphgrad
it loads the same weights, so both start alike. ``data`` holds NumPy arrays made by the test.
It returns numbers (or lists of numbers) to compare."""
from __future__ import annotations

import importlib

import numpy as np

import graphgrad


def torch_or_none():
    """PyTorch if installed, else None (the programs then run on graphgrad alone)."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


class _Record:
    def __init__(self):
        self.weights = []

    def __call__(self, model):
        self.weights.append({k: v.detach().cpu().numpy().copy()
                             for k, v in model.state_dict().items()})


class _Replay:
    def __init__(self, weights):
        self.weights = list(weights)

    def __call__(self, model):
        if not self.weights:
            raise AssertionError("the program built more models on graphgrad than on PyTorch")
        state = self.weights.pop(0)
        model.load_state_dict({k: graphgrad.from_numpy(v.copy()) for k, v in state.items()})


def run_both(program, data=None, **kwargs):
    """Return ``(graphgrad_results, torch_results or None)``."""
    torch = torch_or_none()
    torch_results = None
    replay = lambda model: None  # noqa: E731  (no PyTorch: graphgrad's own initialisation)
    if torch is not None:
        torch.manual_seed(0)
        record = _Record()
        torch_results = program(torch, record, data, **kwargs)
        replay = _Replay(record.weights)
    graphgrad.manual_seed(0)
    return program(graphgrad, replay, data, **kwargs), torch_results


def assert_close(ours: dict, theirs: dict | None, rtol=1e-4, atol=1e-5, keys=None) -> None:
    """Each result of ``ours`` equals PyTorch's within tolerance (skipped without PyTorch)."""
    if theirs is None:
        return
    for key in keys or theirs:
        np.testing.assert_allclose(np.asarray(ours[key], dtype=np.float64),
                                   np.asarray(theirs[key], dtype=np.float64),
                                   rtol=rtol, atol=atol, err_msg=f"result {key!r}")


def images(n, channels=1, size=8, classes=3, seed=0):
    """A small labelled image set, learnable: each class has its own mean pattern."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    patterns = rng.standard_normal((classes, channels, size, size))
    x = patterns[labels] + 0.5 * rng.standard_normal((n, channels, size, size))
    return {"x": x.astype(np.float32), "y": labels.astype(np.int64)}
