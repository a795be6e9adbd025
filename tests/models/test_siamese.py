"""Siamese network: contrastive loss equals Hadsell et al.'s formula (value and gradient), sampled
pairs and triplets have the classes they claim, and training separates two classes."""
import numpy as np
import pytest

import graphgrad
from graphgrad import nn, optim
from graphgrad.autograd import gradcheck
from graphgrad.models.siamese import (ContrastiveLoss, EmbeddingNet, SiameseNet, contrastive_loss,
                                      sample_pairs, sample_triplets)


def test_contrastive_loss_formula():
    e1 = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    e2 = np.array([[3.0, 4.0], [1.0, 0.5], [0.3, 0.4]])
    same = np.array([1.0, 0.0, 0.0])
    # d = 5, 0.5, 0.5; margin 1: [0.5 * 25, 0.5 * 0.25, 0.5 * 0.25]
    out = contrastive_loss(graphgrad.tensor(e1), graphgrad.tensor(e2), graphgrad.tensor(same),
                           margin=1.0, reduction="none")
    np.testing.assert_allclose(out.numpy(), [12.5, 0.125, 0.125], rtol=1e-6)
    loss = ContrastiveLoss(margin=1.0)(graphgrad.tensor(e1), graphgrad.tensor(e2), graphgrad.tensor(same))
    assert loss.item() == pytest.approx((12.5 + 0.25) / 3)


def test_contrastive_loss_gradcheck():
    rng = np.random.default_rng(0)
    a = graphgrad.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    b = graphgrad.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    same = graphgrad.tensor(np.array([1.0, 0.0, 1.0, 0.0]))
    assert gradcheck(lambda x, y: contrastive_loss(x, y, same, margin=3.0), (a, b))
    with pytest.raises(ValueError, match="differ in shape"):
        contrastive_loss(a, b[:2], same)


def test_pairs_and_triplets():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    rng = np.random.default_rng(0)
    i, j, same = sample_pairs(labels, 40, rng)
    np.testing.assert_array_equal(same, (labels[i] == labels[j]).astype(np.float32))
    assert 0.3 < same.mean() < 0.7
    a, p, q = sample_triplets(labels, 40, rng)
    assert (labels[a] == labels[p]).all() and (labels[a] != labels[q]).all() and (a != p).all()
    with pytest.raises(ValueError, match="at least 2 classes"):
        sample_pairs(np.zeros(4), 2)


@pytest.mark.parametrize("kind", ["contrastive", "triplet"])
def test_training_separates_two_classes(kind):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 1, 8, 8)).astype(np.float32) * 0.3
    labels = np.repeat([0, 1], 30)
    x[labels == 1, 0, :4] += 1.0  # class 1: bright top half
    net = SiameseNet(EmbeddingNet(dim=2, channels=(4, 4), hidden=16, image_size=8))
    opt = optim.Adam(net.parameters(), lr=0.01)
    triplet = nn.TripletMarginLoss(margin=1.0)

    def separation():
        with graphgrad.no_grad():
            (e,) = net(graphgrad.tensor(x))
        e = e.numpy()
        c0, c1 = e[labels == 0].mean(0), e[labels == 1].mean(0)
        spread = np.linalg.norm(e - np.where(labels[:, None] == 0, c0, c1), axis=1).mean()
        return np.linalg.norm(c0 - c1) / (spread + 1e-9)

    before = separation()
    for _ in range(40):
        if kind == "contrastive":
            i, j, same = sample_pairs(labels, 32, rng)
            e1, e2 = net(graphgrad.tensor(x[i]), graphgrad.tensor(x[j]))
            loss = contrastive_loss(e1, e2, graphgrad.tensor(same))
        else:
            a, p, q = sample_triplets(labels, 32, rng)
            loss = triplet(*net(graphgrad.tensor(x[a]), graphgrad.tensor(x[p]), graphgrad.tensor(x[q])))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert separation() > max(2.0, 2 * before)
