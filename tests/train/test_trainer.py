"""Trainer: the loss falls, metrics and checkpoints are written, early stopping, evaluate()."""
import json

import numpy as np
import pytest

import graphgrad
from graphgrad import nn, optim
from graphgrad.train import EarlyStopping, Trainer, evaluate
from graphgrad.train.metrics import confusion_matrix, per_class_scores, topk_correct
from graphgrad.utils.data import DataLoader, TensorDataset


def _blobs(n=200, classes=3, seed=0):
    centers = np.random.default_rng(123).standard_normal((classes, 5)) * 3  # same for every split
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.standard_normal((n, 5))
    return TensorDataset(graphgrad.tensor(x.astype(np.float32)), graphgrad.tensor(y))


def test_fit_reduces_loss_and_writes_run_folder(tmp_path):
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      run_dir=str(tmp_path), progress=False)
    data = _blobs()
    history = trainer.fit(DataLoader(data, batch_size=32, shuffle=True),
                          DataLoader(_blobs(seed=1), batch_size=64), epochs=5)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_acc"] > 0.8
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4, 5]
    assert (tmp_path / "checkpoint.npz").exists()


def test_early_stopping_stops():
    model = nn.Linear(5, 3)
    stopper = EarlyStopping("train_loss", "min", patience=1, min_delta=1e9)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      callbacks=[stopper], progress=False)
    history = trainer.fit(DataLoader(_blobs(), batch_size=50), epochs=10)
    assert len(history) == 2


def test_evaluate_reports_confusion_and_scores():
    model = nn.Linear(5, 3)
    result = evaluate(model, DataLoader(_blobs(), batch_size=64), nn.CrossEntropyLoss(), topk=(1, 2))
    assert result["confusion"].sum() == 200
    assert 0 <= result["accuracy"] <= result["top2"] <= 1
    assert result["precision"].shape == (3,)


def test_metrics_by_hand():
    logits = np.array([[3.0, 1, 0], [0, 2, 1], [0, 1, 3], [2, 0, 1]])
    targets = np.array([0, 2, 2, 1])
    assert topk_correct(logits, targets, 1) == 2
    assert topk_correct(logits, targets, 2) == 3
    cm = confusion_matrix(logits.argmax(1), targets, 3)
    assert cm.tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 1]]
    scores = per_class_scores(cm)
    assert scores["precision"].tolist() == [0.5, 0.0, 1.0]
    assert scores["recall"].tolist() == [1.0, 0.0, 0.5]


def test_nan_loss_is_reported():
    model = nn.Linear(5, 3)
    with graphgrad.no_grad():
        model.weight.fill_(float("nan"))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      progress=False)
    with pytest.raises(FloatingPointError, match="loss became nan"):
        trainer.fit(DataLoader(_blobs(), batch_size=50), epochs=1)
