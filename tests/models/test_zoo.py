"""The model zoo: parameter counts equal torchvision's and the papers', shapes flow, and each family
trains for a few steps with a falling loss and round-trips a checkpoint."""
import numpy as np
import pytest

import graphgrad
from graphgrad import models, nn, optim

# ImageNet models: torchvision's counts. CIFAR ResNets (option A shortcuts, no projection
# parameters): 20 layers = 269,722 and 56 layers = 853,018, counted layer by layer.
COUNTS = [
    (lambda: models.AlexNet(), 61_100_840),
    (lambda: models.VGG(16), 138_357_544),
    (lambda: models.ResNet(18), 11_689_512),
    (lambda: models.ResNet(50), 25_557_032),
    (lambda: models.VGG(11), 132_863_336),
    (lambda: models.VGG(16, batch_norm=True), 138_365_992),
    (lambda: models.ResNet(34), 21_797_672),
    (lambda: models.ResNet(101), 44_549_160),
    (lambda: models.ResNet(152), 60_192_808),
    (lambda: models.CifarResNet(20), 269_722),
    (lambda: models.CifarResNet(56), 853_018),
    (lambda: models.LeNet5(), 61_706),
]


@pytest.mark.parametrize("build,expected", COUNTS)
def test_parameter_counts(build, expected):
    model = build()
    assert sum(p.numel() for p in model.parameters()) == expected


def test_plain_net_has_same_parameters_as_resnet():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(models.PlainNet(20)) == count(models.CifarResNet(20))


def test_cifar_resnet_width_sets_the_stages_filters():
    model = models.CifarResNet(8, num_classes=3, in_channels=1, width=4)
    assert [b.conv2.out_channels for b in model.blocks] == [4, 8, 16]
    assert model.fc.in_features == 16 and model(graphgrad.zeros(2, 1, 8, 8)).shape == (2, 3)
    assert models.PlainNet(8, width=4).blocks[2].conv2.out_channels == 16
    with pytest.raises(ValueError, match="width must be a positive integer"):
        models.CifarResNet(8, width=0)


SMALL = [
    (lambda: models.LogisticRegression(64, 3), (1, 8, 8)),
    (lambda: models.MLP(64, [16], 3, dropout=0.1), (1, 8, 8)),
    (lambda: models.SimpleCNN(1, 3, channels=(4, 8), hidden=16, image_size=8), (1, 8, 8)),
    (lambda: models.LeNet5(1, 3), (1, 28, 28)),
    (lambda: models.CifarResNet(8, num_classes=3, in_channels=1), (1, 8, 8)),
    (lambda: models.PlainNet(8, num_classes=3, in_channels=1), (1, 8, 8)),
    (lambda: models.HighwayNet(64, width=16, depth=3, num_classes=3), (1, 8, 8)),
]


@pytest.mark.parametrize("build,shape", SMALL)
def test_family_trains_and_checkpoint_round_trips(build, shape, tmp_path):
    graphgrad.manual_seed(0)
    model = build()
    rng = np.random.default_rng(0)
    x = graphgrad.tensor(rng.standard_normal((12,) + shape).astype(np.float32))
    y = graphgrad.tensor(rng.integers(0, 3, 12))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    graphgrad.save(model.state_dict(), str(tmp_path / "m.npz"))
    clone = build()
    clone.load_state_dict(graphgrad.load(str(tmp_path / "m.npz")))
    model.eval()
    clone.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), clone(x).detach().numpy())


def test_summary_of_vgg16_reproduces_the_lecture_table():
    s = models.summary(models.VGG(16), (3, 224, 224))
    assert s.total_params == 138_357_544
    first_conv = s.rows[0]
    assert first_conv.output_shape == (64, 224, 224) and first_conv.activations == 224 * 224 * 64
    assert s.input_activations == 150_528
    # conv, pool and fc outputs plus the input; ReLUs run in place and cost nothing
    assert 15_000_000 < s.total_activations < 15_400_000
    assert "Total params: 138,357,544" in str(s)
