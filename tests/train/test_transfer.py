"""Transfer helpers: freeze/unfreeze, head replacement, per-module learning rates; prototypes and
ConSE on hand-made embeddings."""
import numpy as np
import pytest

import graphgrad
from graphgrad import nn, optim
from graphgrad.models import SimpleCNN
from graphgrad.train.transfer import (ConSE, class_prototypes, freeze, nearest_prototype,
                                      param_groups, replace_head, trainable_parameters, unfreeze)


def _net():
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_freeze_keeps_weights_and_batchnorm_statistics():
    model = _net()
    freeze(model, ["0", "1"])
    assert [p.requires_grad for p in model.parameters()] == [False] * 4 + [True] * 2
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    opt = optim.SGD(trainable_parameters(model), lr=0.1)
    model.train()  # must not wake the frozen BatchNorm
    loss = nn.functional.cross_entropy(model(graphgrad.randn(16, 4)), graphgrad.tensor(np.arange(16) % 3))
    loss.backward()
    opt.step()
    after = model.state_dict()
    for k in ("0.weight", "1.weight", "1.running_mean", "1.running_var"):
        np.testing.assert_array_equal(after[k].detach().numpy(), before[k], err_msg=k)
    assert not np.array_equal(after["3.weight"].detach().numpy(), before["3.weight"])
    unfreeze(model)
    assert all(p.requires_grad for p in model.parameters()) and model[1].training
    with pytest.raises(KeyError, match="no module named 'nope'"):
        freeze(model, "nope")


def test_replace_head_of_simple_cnn():
    model = SimpleCNN(channels=(4, 8), hidden=16)
    head = replace_head(model, 5)
    assert model.classifier[4] is head and head.in_features == 16 and head.out_features == 5
    assert model(graphgrad.randn(2, 1, 28, 28)).shape == (2, 5)
    new = nn.Linear(16, 7)
    assert replace_head(model, 7, name="classifier.4", head=new) is new
    with pytest.raises(ValueError, match="has no Linear layer"):
        replace_head(nn.Sequential(nn.ReLU()), 2)


def test_param_groups_per_module():
    model = SimpleCNN(channels=(4, 8), hidden=16)
    groups = param_groups(model, {"features": 1e-4, "classifier.4": 1e-2}, default_lr=1e-3)
    assert [g["name"] for g in groups] == ["features", "classifier.4", "rest"]
    assert [g["lr"] for g in groups] == [1e-4, 1e-2, 1e-3]
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    opt = optim.SGD(groups, lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [1e-4, 1e-2, 1e-3]
    freeze(model, "features")
    assert [g["name"] for g in param_groups(model, {"features": 1e-4}, 1e-3)] == ["rest"]


def test_prototypes_and_nearest_prototype():
    emb = np.array([[0, 0], [0, 2], [10, 10], [10, 12]], dtype=float)
    classes, protos = class_prototypes(emb, [7, 7, 3, 3])
    assert classes.tolist() == [3, 7]
    np.testing.assert_allclose(protos, [[10, 11], [0, 1]])
    assert nearest_prototype([[1, 1], [9, 9]], classes, protos).tolist() == [7, 3]
    assert nearest_prototype([[1, 0.2], [0.1, 1]], [0, 1], [[1, 0], [0, 5]], "cosine").tolist() == [0, 1]


def test_conse_by_hand():
    seen = np.eye(3)  # three seen classes along the axes
    unseen = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    conse = ConSE(seen, unseen, top_k=2)
    probs = np.array([[0.5, 0.4, 0.1], [0.1, 0.2, 0.7]])
    np.testing.assert_allclose(conse.embed(probs), [[5 / 9, 4 / 9, 0], [0, 2 / 9, 7 / 9]])
    assert conse.predict(probs).tolist() == [0, 1]
    with pytest.raises(ValueError, match="top_k must be in 1..3"):
        ConSE(seen, unseen, top_k=4)
    with pytest.raises(ValueError, match=r"probabilities must be \(N, 3\)"):
        conse.predict(np.ones((2, 2)))
