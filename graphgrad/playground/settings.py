"""The page's settings: their defaults, their limits, and checking a change a request asks for.

A setting's value arrives as JSON from the browser (or from anyone who can reach the server), so
every value is checked here and a bad one raises ``SettingsError`` with a sentence that names the
setting, what it got and what it accepts; the server turns that into a 400 response."""
from __future__ import annotations

import math

from .datasets import GENERATORS, PROBLEM_OF

FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "l1", "l2")
PROBLEMS = ("classification", "regression")
MAX_LAYERS, MAX_NEURONS = 6, 8
# The page offers these choices (the TensorFlow playground's); a request may send any value in range.
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)

DEFAULTS = {
    "problem": "classification",
    "dataset": "circle",
    "noise": 0,             # percent, 0..50
    "train_percent": 50,    # percent of the points used for training, 10..90
    "batch_size": 10,
    "features": ["x1", "x2"],
    "hidden": [4, 2],       # neurons per hidden layer
    "learning_rate": 0.03,
    "activation": "tanh",
    "regularization": "none",
    "regularization_rate": 0.0,
    "seed": 1,
}

# Changing one of these starts the training again (new data or a new network), as on the original
# page; the learning rate, batch size and regularisation change the running training in place.
RESTARTS = {"problem", "dataset", "noise", "train_percent", "features", "hidden", "activation", "seed"}
NEW_DATA = {"problem", "dataset", "noise", "train_percent", "seed"}


class SettingsError(ValueError):
    """A request asked for a setting that does not exist or a value it cannot take."""


def _number(key, value, low, high, integer=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{key}: expected a number, got {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise SettingsError(f"{key}: expected a number from {low} to {high}, got {value!r}")
    if integer and value != int(value):
        raise SettingsError(f"{key}: expected a whole number, got {value!r}")
    return int(value) if integer else float(value)


def _choice(key, value, choices):
    if value not in choices:
        raise SettingsError(f"{key}: unknown value {value!r}; expected one of {', '.join(choices)}")
    return value


def _features(value):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"features: expected a list of feature names, got {value!r}")
    for name in value:
        _choice("features", name, FEATURES)
    if not value:
        raise SettingsError("features: choose at least one input feature")
    return [f for f in FEATURES if f in value]  # the page's order, no repeats


def _hidden(value):
    if not isinstance(value, list):
        raise SettingsError(f"hidden: expected a list of neuron counts (one per hidden layer), got {value!r}")
    if len(value) > MAX_LAYERS:
        raise SettingsError(f"hidden: at most {MAX_LAYERS} hidden layers, got {len(value)}")
    return [_number(f"hidden[{i}]", n, 1, MAX_NEURONS, integer=True) for i, n in enumerate(value)]


_CHECKS = {
    "problem": lambda v: _choice("problem", v, PROBLEMS),
    "dataset": lambda v: _choice("dataset", v, tuple(GENERATORS)),
    "noise": lambda v: _number("noise", v, 0, 50),
    "train_percent": lambda v: _number("train_percent", v, 10, 90),
    "batch_size": lambda v: _number("batch_size", v, 1, 30, integer=True),
    "features": _features,
    "hidden": _hidden,
    "learning_rate": lambda v: _number("learning_rate", v, 1e-6, 10),
    "activation": lambda v: _choice("activation", v, ACTIVATIONS),
    "regularization": lambda v: _choice("regularization", v, REGULARIZATIONS),
    "regularization_rate": lambda v: _number("regularization_rate", v, 0, 10),
    "seed": lambda v: _number("seed", v, 0, 2**31 - 1, integer=True),
}
assert set(_CHECKS) == set(DEFAULTS)


def apply_changes(current: dict, changes) -> dict:
    """The settings ``current`` with ``changes`` (a dict decoded from a request) applied and checked.

    Choosing a data set of the other kind of problem switches the problem; switching the problem
    alone picks that problem's first data set."""
    if not isinstance(changes, dict):
        raise SettingsError(f"settings: expected a JSON object, got {type(changes).__name__}")
    unknown = sorted(set(changes) - set(_CHECKS))
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]!r}; settings are {', '.join(_CHECKS)}")
    new = dict(current)
    for key, value in changes.items():
        new[key] = _CHECKS[key](value)
    if "dataset" in changes and "problem" not in changes:
        new["problem"] = PROBLEM_OF[new["dataset"]]
    elif "problem" in changes and "dataset" not in changes and PROBLEM_OF[new["dataset"]] != new["problem"]:
        new["dataset"] = next(d for d, p in PROBLEM_OF.items() if p == new["problem"])
    if PROBLEM_OF[new["dataset"]] != new["problem"]:
        raise SettingsError(f"dataset: {new['dataset']!r} is a {PROBLEM_OF[new['dataset']]} data set, "
                            f"but problem is {new['problem']!r}")
    return new
