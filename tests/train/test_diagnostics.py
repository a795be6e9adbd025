"""GradientDiagnostics: per-layer norms match the gradients, dead/saturated fractions on hand-set
weights, warnings name the layer, records reach diagnostics.jsonl and the plot, resume keeps them."""
import json
import math
import warnings

import numpy as np
import pytest

import graphgrad
from graphgrad import nn, optim
from graphgrad.train import RunDir, Trainer
from graphgrad.train.diagnostics import (GradientDiagnostics, GradientWarning, activation_stats,
                                         layer_norms, read_diagnostics)
from graphgrad.utils.data import DataLoader, TensorDataset


def _loader(n=64, d=6, batch=16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return DataLoader(TensorDataset(graphgrad.tensor(x), graphgrad.tensor(y)), batch_size=batch)


def test_layer_norms_equal_the_gradients():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model(graphgrad.randn(5, 3)).sum().backward()
    norms = layer_norms(model)
    assert list(norms) == ["0", "2"]
    w, b = model[0].weight, model[0].bias
    g = math.sqrt((w.grad.numpy() ** 2).sum() + (b.grad.numpy() ** 2).sum())
    wn = math.sqrt((w.detach().numpy() ** 2).sum() + (b.detach().numpy() ** 2).sum())
    assert norms["0"]["grad_norm"] == pytest.approx(g, rel=1e-6)
    assert norms["0"]["weight_norm"] == pytest.approx(wn, rel=1e-6)
    assert norms["0"]["ratio"] == pytest.approx(g / wn, rel=1e-6)


def test_activation_stats_on_known_outputs():
    relu = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]])
    assert activation_stats("relu", relu) == {"dead": pytest.approx(1 / 3), "zero": pytest.approx(0.5)}
    sig = np.array([0.001, 0.5, 0.999, 0.3])
    assert activation_stats("sigmoid", sig)["saturated"] == pytest.approx(0.5)
    assert activation_stats("tanh", np.array([-0.995, 0.0, 0.2, 0.999]))["saturated"] == 0.5
    with pytest.raises(ValueError, match="kind must be"):
        activation_stats("gelu", relu)


def test_callback_records_every_n_steps_and_writes_jsonl(tmp_path):
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 2))
    with graphgrad.no_grad():
        model[0].bias.fill_(-100.0)  # every unit of the first ReLU is dead
        model[2].bias.fill_(50.0)  # the sigmoid saturates (its input is the bias alone)
    diag = GradientDiagnostics(every=2, warn=False)
    run = RunDir(str(tmp_path / "run"))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01),
                      callbacks=[diag], run_dir=run, progress=False)
    trainer.fit(_loader(), epochs=2)  # 4 batches per epoch, 8 steps
    assert [r["step"] for r in diag.records] == [1, 3, 5, 7]
    first = diag.records[0]
    assert set(first["layers"]) == {"0", "2", "4"}
    assert first["activations"]["1"]["dead"] == 1.0
    assert first["activations"]["3"]["kind"] == "sigmoid"
    assert first["activations"]["3"]["saturated"] == 1.0
    # the dead layer gets no gradient: the warning names it
    assert any("layer '0'" in w and "vanishing" in w for w in diag.warnings)
    assert read_diagnostics(run.path) == json.loads(json.dumps(diag.records))
    # hooks are removed between sampled steps and after fit
    assert not diag._handles and not model[1]._forward_hooks


def test_warnings_name_the_layer_and_fire_once():
    model = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2))
    diag = GradientDiagnostics(every=1, explode=1e-12)  # everything "explodes"
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0),
                      callbacks=[diag], progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(_loader(), epochs=1)
    messages = [str(w.message) for w in caught if issubclass(w.category, GradientWarning)]
    assert len(messages) == 2  # once per layer, not once per step
    assert any("layer '0'" in m for m in messages) and any("layer '2'" in m for m in messages)
    assert all("exploding" in m for m in messages)


def test_resume_keeps_earlier_records(tmp_path):
    def make():
        graphgrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
        diag = GradientDiagnostics(every=3, warn=False)
        return diag, Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                             callbacks=[diag], run_dir=RunDir(str(tmp_path)), progress=False)

    diag, trainer = make()
    trainer.fit(_loader(), epochs=1)
    diag2, trainer2 = make()
    trainer2.fit(_loader(), epochs=2, resume=True)
    assert [r["step"] for r in diag2.records] == [1, 4, 7]
    assert diag2.records[:2] == json.loads(json.dumps(diag.records))


def test_plot_gradients_from_run_folder(tmp_path):
    from graphgrad.viz import plot_gradients

    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    diag = GradientDiagnostics(every=1, warn=False, run_dir=str(tmp_path))
    Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            callbacks=[diag], progress=False).fit(_loader(), epochs=1)
    path = tmp_path / "plots" / "gradients.png"
    fig = plot_gradients(str(tmp_path), str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert len(fig.axes) == 3


def test_bad_every():
    with pytest.raises(ValueError, match="every must be >= 1"):
        GradientDiagnostics(every=0)
