"""Receptive fields computed from the layer stack equal the hand-computed values (LeNet-5,
SimpleCNN) and the support of the input gradient of one unit."""
import numpy as np
import pytest

import graphgrad
from graphgrad import nn
from graphgrad.models import LeNet5, SimpleCNN
from graphgrad.viz import receptive_field, receptive_fields, top_activating_patches
from graphgrad.viz.filters import plot_layer_filters, plot_top_patches


def test_lenet5_by_hand():
    # C1 5x5 -> 5; S2 2x2/2 -> 5 + 1*1 = 6; C3 5x5 -> 6 + 4*2 = 14; S4 2x2/2 -> 14 + 1*2 = 16;
    # C5 5x5 -> 16 + 4*4 = 32: C5 sees the whole 28x28 digit padded to 32x32, as in the paper.
    rfs = receptive_fields(LeNet5(), input_size=(28, 28))
    assert [r.name for r in rfs] == ["c1", "s2", "c3", "s4", "c5"]
    assert [r.size for r in rfs] == [(5, 5), (6, 6), (14, 14), (16, 16), (32, 32)]
    assert [r.jump for r in rfs] == [(1, 1), (2, 2), (2, 2), (4, 4), (4, 4)]
    assert [r.start for r in rfs] == [(0.0, 0.0), (0.5, 0.5), (4.5, 4.5), (5.5, 5.5), (13.5, 13.5)]
    assert [r.output_size for r in rfs] == [(28, 28), (14, 14), (10, 10), (5, 5), (1, 1)]
    assert rfs[-1].window((0, 0)) == [(-2, 29), (-2, 29)]


def test_simple_cnn_and_dilation():
    rfs = receptive_fields(SimpleCNN())
    assert [r.size[0] for r in rfs] == [3, 4, 8, 10]
    stack = nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2), nn.Conv2d(1, 1, 3, stride=2),
                          nn.Conv2d(1, 1, 3, padding="same"))
    assert [r.size[0] for r in receptive_fields(stack)] == [5, 7, 11]
    with pytest.raises(KeyError, match="not a convolution or pooling layer"):
        receptive_field(stack, "nope")


@pytest.mark.parametrize("layer", ["c1", "s2", "c3", "s4"])
def test_size_equals_the_support_of_a_units_input_gradient(layer):
    model = LeNet5().double()
    with graphgrad.no_grad():
        for p in model.parameters():
            p.abs_()  # positive weights: no cancellation inside the window
    rf = receptive_field(model, layer, (28, 28))
    captured = {}
    dict(model.named_modules())[layer].register_forward_hook(
        lambda m, a, out: captured.__setitem__("out", out))
    x = graphgrad.rand(1, 1, 28, 28, dtype=graphgrad.float64, requires_grad=True)
    model(x)
    i = rf.output_size[0] // 2
    (g,) = graphgrad.autograd.grad(captured["out"][0, 0, i, i], [x])
    rows, cols = np.nonzero(g.numpy()[0, 0])
    (top, bottom), (left, right) = rf.window((i, i))
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (top, bottom, left, right)
    assert bottom - top + 1 == rf.size[0]


def test_top_activating_patches_are_receptive_field_crops(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 1, 3, bias=False), nn.ReLU())
    with graphgrad.no_grad():
        model[0].weight.fill_(1.0)  # channel 0 sums a 3x3 window
    images = np.zeros((4, 1, 6, 6), dtype=np.float32)
    images[2, 0, 1:4, 2:5] = 1.0  # one bright 3x3 block
    images[1, 0, 4, 4] = 1.0
    patches, acts, where = top_activating_patches(model, "0", 0, images, k=2)
    assert patches.shape == (2, 1, 3, 3)
    np.testing.assert_allclose(patches[0, 0], np.ones((3, 3)))
    assert acts[0] == 9.0 and where[0] == (2, 1, 2)
    assert acts[1] == 1.0 and where[1][0] == 1
    with pytest.raises(IndexError, match="channel 3 out of range"):
        top_activating_patches(model, "0", 3, images)
    plot_top_patches(model, "0", [0], images, k=3, path=str(tmp_path / "top.png"))
    plot_layer_filters(SimpleCNN(channels=(4, 8), hidden=8).features[3].weight, path=str(tmp_path / "f.png"))
    assert (tmp_path / "top.png").exists() and (tmp_path / "f.png").exists()
