"""The playground without its server: data sets, settings checks, the graphgrad network and its
training, the pictures, and the "show code" program (run in a subprocess)."""
import base64
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import graphgrad as torch
from graphgrad.playground import Session, SettingsError, make_dataset
from graphgrad.playground import network, pictures
from graphgrad.playground.datasets import GENERATORS, PROBLEM_OF, generate
from graphgrad.playground.settings import DEFAULTS, FEATURES, apply_changes


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_datasets_have_the_playgrounds_shapes(name):
    (x_train, y_train), (x_test, y_test) = make_dataset(name, noise=0.2, train_fraction=0.3, seed=5)
    total = 500 if PROBLEM_OF[name] == "classification" else 1200
    assert x_train.shape == (int(total * 0.3), 2) and x_test.shape == (total - int(total * 0.3), 2)
    assert x_train.dtype == np.float32 and y_train.shape == (len(x_train),)
    labels = np.concatenate([y_train, y_test])
    if PROBLEM_OF[name] == "classification":
        assert set(np.unique(labels)) == {-1.0, 1.0}
    else:
        assert labels.min() >= -1 and labels.max() <= 1 and labels.std() > 0.1
    assert np.abs(np.concatenate([x_train, x_test])).max() < 12
    again = make_dataset(name, noise=0.2, train_fraction=0.3, seed=5)
    np.testing.assert_array_equal(again[0][0], x_train)  # a seed fixes the points


def test_noiseless_datasets_follow_their_rules():
    points, labels = generate("xor", 400, 0.0, seed=1)
    np.testing.assert_array_equal(labels, np.where(points[:, 0] * points[:, 1] >= 0, 1, -1))
    points, labels = generate("circle", 400, 0.0, seed=1)
    np.testing.assert_array_equal(labels, np.where(np.hypot(*points.T) < 2.5, 1, -1))
    points, labels = generate("gauss", 400, 0.0, seed=1)
    assert points[labels > 0].mean(axis=0) == pytest.approx([2, 2], abs=0.2)


def test_make_dataset_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown data set 'moons'"):
        make_dataset("moons")
    with pytest.raises(ValueError, match="noise must be between 0 and 0.5"):
        make_dataset("xor", noise=3)
    with pytest.raises(ValueError, match="train_fraction"):
        make_dataset("xor", train_fraction=1.5)


@pytest.mark.parametrize("changes,message", [
    ({"dataset": "moons"}, "dataset: unknown value 'moons'; expected one of circle"),
    ({"hidden": [4] * 50}, "hidden: at most 6 hidden layers, got 50"),
    ({"hidden": [9]}, "hidden[0]: expected a number from 1 to 8, got 9"),
    ({"hidden": [2.5]}, "hidden[0]: expected a whole number"),
    ({"hidden": 3}, "hidden: expected a list"),
    ({"learning_rate": "abc"}, "learning_rate: expected a number, got 'abc'"),
    ({"learning_rate": True}, "learning_rate: expected a number, got True"),
    ({"learning_rate": float("nan")}, "learning_rate: expected a number from"),
    ({"learning_rate": 0}, "learning_rate: expected a number from"),
    ({"batch_size": 1000}, "batch_size: expected a number from 1 to 30"),
    ({"features": []}, "features: choose at least one input feature"),
    ({"features": ["x3"]}, "features: unknown value 'x3'"),
    ({"activation": "gelu"}, "activation: unknown value 'gelu'"),
    ({"colour": "red"}, "unknown setting 'colour'"),
    ({"problem": "regression", "dataset": "xor"}, "'xor' is a classification data set"),
    ([1, 2], "expected a JSON object"),
])
def test_bad_settings_are_refused_with_a_clear_message(changes, message):
    with pytest.raises(SettingsError) as info:
        apply_changes(DEFAULTS, changes)
    assert message in str(info.value)


def test_choosing_a_dataset_or_problem_keeps_them_consistent():
    assert apply_changes(DEFAULTS, {"dataset": "plane"})["problem"] == "regression"
    assert apply_changes(DEFAULTS, {"problem": "regression"})["dataset"] == "plane"
    assert apply_changes(DEFAULTS, {"features": ["sin(x2)", "x1", "x1"]})["features"] == ["x1", "sin(x2)"]


def test_feature_code_computes_the_same_as_the_server():
    points = torch.randn(20, 2) * 4
    x1, x2 = points[:, 0:1], points[:, 1:2]
    for name in FEATURES:
        shown = eval(network.FEATURE_CODE[name], {"torch": torch, "x1": x1, "x2": x2})
        np.testing.assert_allclose(network.features(points, [name]).numpy(), shown.numpy())


def test_model_follows_the_choices_and_regularisation_applies_to_weights_only():
    model = network.build_model(3, [5, 2], "relu", seed=4)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [tuple(m.weight.shape) for m in model[::2]] == [(5, 3), (2, 5), (1, 2)]
    again = network.build_model(3, [5, 2], "relu", seed=4)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), again[0].weight.detach().numpy())
    settings = dict(DEFAULTS, regularization="l2", regularization_rate=0.1)
    optimizer = network.make_optimizer(model, settings)
    network.set_hyperparameters(optimizer, settings)
    weights, biases = network.weights_and_biases(model)
    assert optimizer.param_groups[0]["params"] == weights and optimizer.param_groups[0]["weight_decay"] == 0.1
    assert optimizer.param_groups[1]["params"] == biases and optimizer.param_groups[1]["weight_decay"] == 0


def test_l1_penalty_pulls_weights_to_zero():
    x, y = torch.randn(40, 2), torch.zeros(40, 1)
    norms = {}
    for rate in (0.0, 0.3):
        model = network.build_model(2, [4], "tanh", seed=1)
        loader = network.make_loader(x, y, 10, seed=1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(30):
            network.train_epoch(model, loader, torch.nn.MSELoss(), optimizer, l1_rate=rate)
        norms[rate] = sum(w.abs().sum().item() for w in network.weights_and_biases(model)[0])
    assert norms[0.3] < 0.5 * norms[0.0]


def test_session_actions():
    session = Session()
    assert session.frame()["epoch"] == 0 and not session.playing
    session.act("step")
    session.act("step")
    assert session.frame()["epoch"] == 2
    session.act("play")
    session.change({"learning_rate": 0.1})  # a hyperparameter: training goes on
    assert session.playing and session.epoch == 2
    assert session.optimizer.param_groups[0]["lr"] == 0.1
    session.change({"hidden": [3]})  # the architecture: a new network, epoch 0, paused
    assert not session.playing and session.epoch == 0 and len(session.model) == 3
    first = session.setup()
    session.act("reset")
    assert session.setup()["init_seed"] != first["init_seed"] and session.setup()["train"] == first["train"]
    session.act("regenerate")
    assert session.setup()["train"] != first["train"]
    with pytest.raises(SettingsError, match="action: unknown action 'jump'"):
        session.act("jump")


def test_train_for_trains_whole_epochs_while_playing():
    session = Session({"dataset": "gauss"})
    assert session.train_for(0.05)["epoch"] == 0  # paused: nothing happens
    session.act("play")
    frame = session.train_for(0.05)
    assert frame["epoch"] >= 1 and frame["playing"]
    session.stop()
    assert not session.train_for(0.05)["playing"]


def test_frame_pictures():
    session = Session({"features": ["x1", "x2", "sin(x1)"], "hidden": [3, 2]})
    frame = session.frame()
    size = pictures.GRID * pictures.GRID
    assert len(base64.b64decode(frame["output"])) == size
    assert [len(column) for column in frame["nodes"]] == [3, 3, 2]
    small = len(range(0, pictures.GRID, pictures.NODE_STRIDE)) ** 2
    assert len(base64.b64decode(frame["nodes"][1][0])) == small
    assert [np.shape(w) for w in frame["weights"]] == [(3, 3), (2, 3), (1, 2)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverged_training_still_gives_valid_json():
    session = Session({"dataset": "plane", "learning_rate": 10, "features": ["x1^2", "x2^2"],
                       "hidden": [8, 8], "activation": "relu"})
    for _ in range(5):
        session.act("step")
    frame = session.frame()
    assert frame["train_loss"] is None  # inf or NaN: JSON's null
    json.loads(json.dumps(frame, allow_nan=False))


LAST_LINE = re.compile(r"epoch (\d+): training loss ([\d.]+|nan), test loss ([\d.]+|nan)")


@pytest.mark.parametrize("settings", [
    {"dataset": "xor", "hidden": [4, 4], "regularization": "l1", "regularization_rate": 0.001},
    {"dataset": "multigauss", "features": ["x1", "x2", "x1*x2"], "regularization": "l2",
     "regularization_rate": 0.003, "activation": "relu", "batch_size": 20},
])
def test_shown_code_runs_and_reaches_the_pages_loss(settings, tmp_path):
    session = Session(settings)
    for _ in range(30):
        session.act("step")
    frame = session.frame()
    script = tmp_path / "playground.py"
    script.write_text(session.code())
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    epoch, train, test = LAST_LINE.findall(result.stdout)[-1]
    assert int(epoch) == 30
    # same data, same initial weights, same batch order: the page's numbers, to print precision
    assert float(train) == pytest.approx(frame["train_loss"], abs=2e-3)
    assert float(test) == pytest.approx(frame["test_loss"], abs=2e-3)
