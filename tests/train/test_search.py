"""Grid/random search and cross-validation pick the configuration that is best on validation data:
a pure function with a known optimum, and real training on XOR data that only a hidden layer can fit."""
import csv
import io

import numpy as np
import pytest

import graphgrad
from graphgrad import nn, optim
from graphgrad.train.search import (IntUniform, LogUniform, Uniform, cross_validate, fit_classifier,
                                    grid_points, grid_search, kfold_indices, random_search)
from graphgrad.utils.data import TensorDataset


def test_grid_search_finds_the_known_optimum_and_writes_csv(tmp_path):
    calls = []

    def objective(p):
        calls.append(p)
        return {"score": -(p["lr"] - 0.1) ** 2 - (p["width"] - 32) ** 2 / 1e4, "note": "x",
                "curve": [1, 2]}  # non-scalar figures stay out of the table

    retrained = []
    result = grid_search(objective, {"lr": [0.01, 0.1, 1.0], "width": [16, 32]},
                         csv_path=str(tmp_path / "search.csv"), retrain=lambda p: retrained.append(p) or "m")
    assert len(calls) == 6 and calls[0] == {"lr": 0.01, "width": 16}
    assert result.best_params == {"lr": 0.1, "width": 32}
    assert retrained == [{"lr": 0.1, "width": 32}] and result.best_model == "m"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "search.csv").read_text())))
    assert len(rows) == 6 and set(rows[0]) == {"trial", "lr", "width", "score", "note", "seconds"}
    table = result.table()
    assert table.splitlines()[2].startswith("| **3** | **0.1** | **32**")  # best first, in bold
    assert grid_search(lambda p: p["a"], {"a": [3, 1, 2]}, mode="min").best_params == {"a": 1}


def test_random_search_samples_distributions_reproducibly():
    space = {"lr": LogUniform(1e-4, 1.0), "drop": Uniform(0.0, 0.5), "layers": IntUniform(1, 3),
             "act": ["relu", "tanh"]}
    a = random_search(lambda p: -abs(np.log10(p["lr"]) + 2), space, n_trials=30, seed=1)
    b = random_search(lambda p: -abs(np.log10(p["lr"]) + 2), space, n_trials=30, seed=1)
    assert [t["params"] for t in a.trials] == [t["params"] for t in b.trials]
    lrs = [t["params"]["lr"] for t in a.trials]
    assert all(1e-4 <= v <= 1.0 for v in lrs) and min(lrs) < 1e-3 and max(lrs) > 1e-1
    assert {t["params"]["layers"] for t in a.trials} == {1, 2, 3}
    best = a.best_params["lr"]
    assert best == min(lrs, key=lambda v: abs(np.log10(v) + 2))


def test_search_errors():
    with pytest.raises(ValueError, match="grid search needs a list"):
        grid_points({"lr": LogUniform(1e-3, 1)})
    with pytest.raises(ValueError, match="non-empty list"):
        grid_search(lambda p: 0, {"lr": []})
    with pytest.raises(ValueError, match="n_trials must be >= 1"):
        random_search(lambda p: 0, {"a": [1]}, n_trials=0)
    with pytest.raises(ValueError, match="without 'score'"):
        grid_search(lambda p: {"acc": 1}, {"a": [1]})
    with pytest.raises(RuntimeError, match="no trial produced a finite score"):
        grid_search(lambda p: float("nan"), {"a": [1]}).best_params
    with pytest.raises(ValueError, match="need 0 < low <= high"):
        LogUniform(0, 1)


def test_kfold_indices_partition_and_stratify():
    folds = kfold_indices(23, 5, seed=0)
    vals = np.concatenate([v for _, v in folds])
    assert sorted(vals.tolist()) == list(range(23))
    for train, val in folds:
        assert not set(train) & set(val) and len(train) + len(val) == 23
    labels = np.array([0] * 10 + [1] * 5)
    for _, val in kfold_indices(15, 5, labels=labels):
        assert (labels[val] == 0).sum() == 2 and (labels[val] == 1).sum() == 1
    with pytest.raises(ValueError, match="need 2 <= k <= n"):
        kfold_indices(3, 5)


def _xor(n=160, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2)).astype(np.float32)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    return TensorDataset(graphgrad.tensor(x), graphgrad.tensor(y))


def _model(hidden):
    graphgrad.manual_seed(0)
    if hidden == 0:
        return nn.Linear(2, 2)  # a linear classifier cannot fit XOR
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2))


def test_search_on_xor_picks_the_hidden_layer_on_validation_data(tmp_path):
    train, val = _xor(160, 0), _xor(80, 1)

    def objective(p):
        model = _model(p["hidden"])
        return fit_classifier(model, optim.Adam(model.parameters(), lr=p["lr"]), train, val,
                              epochs=30, batch_size=32)

    result = grid_search(objective, {"hidden": [0, 16], "lr": [0.05]})
    scores = {t["params"]["hidden"]: t["score"] for t in result.trials}
    assert scores[0] < 0.75 and scores[16] > 0.9
    assert result.best_params["hidden"] == 16
    assert "val_loss" in result.trials[0]["extra"]


def test_cross_validate_on_xor():
    data = _xor(150, 2)

    def fit(hidden):
        def fold(train, val):
            assert len(train) == 120 and len(val) == 30
            model = _model(hidden)
            return fit_classifier(model, optim.Adam(model.parameters(), lr=0.05), train, val,
                                  epochs=25, batch_size=32)
        return fold

    linear = cross_validate(fit(0), data, k=5)
    mlp = cross_validate(fit(16), data, k=5)
    assert len(mlp["scores"]) == 5 and mlp["mean"] == pytest.approx(np.mean(mlp["scores"]))
    assert mlp["mean"] > 0.85 > linear["mean"]
    seen = []
    cross_validate(lambda tr, va: seen.append(va) or 0.0, 10, k=2)
    assert sorted(np.concatenate(seen).tolist()) == list(range(10))
