"""vision.models: torchvision's state_dict keys and shapes (checked against the same architectures
written with torch.nn, whose weights then load and give the same outputs), the documented parameter
counts, and the clear error for pretrained weights."""
import numpy as np
import pytest

import graphgrad
import graphgrad.vision.models as models
from parity import torch_or_skip

torch = torch_or_skip()
tnn = torch.nn


# ------------------------------------------- torchvision's architectures, written with torch.nn
class TBasic(tnn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + identity)


class TBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64):
        super().__init__()
        width = int(planes * base_width / 64) * groups
        self.conv1 = tnn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(width)
        self.conv2 = tnn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = tnn.BatchNorm2d(width)
        self.conv3 = tnn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class TResNet(tnn.Module):
    def __init__(self, block, layers, **block_kw):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or self.inplanes != planes * block.expansion:
                down = tnn.Sequential(tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride,
                                                 bias=False), tnn.BatchNorm2d(planes * block.expansion))
            blocks = [block(self.inplanes, planes, stride, down, **block_kw)]
            self.inplanes = planes * block.expansion
            blocks += [block(self.inplanes, planes, **block_kw) for _ in range(1, n)]
            setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def t_vgg_features(cfg, bn):
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
            continue
        layers += [tnn.Conv2d(c, v, 3, padding=1)] + ([tnn.BatchNorm2d(v)] if bn else []) + [
            tnn.ReLU(True)]
        c = v
    return tnn.Sequential(*layers)


CLASSIFIER = (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)


# ----------------------------------------------------------------------------------- tests
def _same_layout(ours, reference_state):
    mine = ours.state_dict()
    assert list(mine) == list(reference_state)
    for k, v in reference_state.items():
        assert tuple(mine[k].shape) == tuple(v.shape), k


def _same_outputs(ours, reference, reference_state, size=64):
    ours.load_state_dict({k: graphgrad.tensor(v.detach().numpy()) for k, v in reference_state.items()})
    ours.eval()
    reference.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        want = reference(torch.tensor(x)).numpy()
    with graphgrad.no_grad():
        got = ours(graphgrad.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name,block,layers,kw", [
    ("resnet18", TBasic, [2, 2, 2, 2], {}), ("resnet34", TBasic, [3, 4, 6, 3], {}),
    ("resnet50", TBottleneck, [3, 4, 6, 3], {}),
    ("resnext50_32x4d", TBottleneck, [3, 4, 6, 3], {"groups": 32, "base_width": 4})])
def test_resnets_match_torchvision_layout(name, block, layers, kw):
    reference = TResNet(block, layers, **kw)
    ours = getattr(models, name)(weights=None)
    _same_layout(ours, reference.state_dict())
    if name in ("resnet18", "resnet50"):
        _same_outputs(ours, reference, reference.state_dict())


def test_resnet_key_names_as_documented():
    keys = models.resnet18().state_dict()
    assert len(keys) == 122
    for k, shape in {"conv1.weight": (64, 3, 7, 7), "bn1.num_batches_tracked": (),
                     "layer1.0.conv1.weight": (64, 64, 3, 3),
                     "layer2.0.downsample.0.weight": (128, 64, 1, 1),
                     "layer2.0.downsample.1.running_var": (128,),
                     "layer4.1.bn2.bias": (512,), "fc.weight": (1000, 512), "fc.bias": (1000,)}.items():
        assert tuple(keys[k].shape) == shape


@pytest.mark.parametrize("cfg", ["A", "E"])
@pytest.mark.parametrize("bn", [False, True])
def test_vgg_features_layout(cfg, bn):
    reference = t_vgg_features(models.vgg.cfgs[cfg], bn)
    ours = models.vgg.make_layers(models.vgg.cfgs[cfg], bn)
    _same_layout(ours, reference.state_dict())
    if cfg == "A" and bn:
        _same_outputs(ours, reference, reference.state_dict(), size=32)


def test_vgg_classifier_and_alexnet_layout():
    keys = models.vgg11(init_weights=False).state_dict()
    assert [k for k in keys if k.startswith("classifier")] == [
        "classifier.0.weight", "classifier.0.bias", "classifier.3.weight", "classifier.3.bias",
        "classifier.6.weight", "classifier.6.bias"]
    assert tuple(keys["classifier.0.weight"].shape) == (4096, 25088)
    keys = models.alexnet().state_dict()
    assert list(keys) == ["features.0.weight", "features.0.bias", "features.3.weight",
                          "features.3.bias", "features.6.weight", "features.6.bias",
                          "features.8.weight", "features.8.bias", "features.10.weight",
                          "features.10.bias", "classifier.1.weight", "classifier.1.bias",
                          "classifier.4.weight", "classifier.4.bias", "classifier.6.weight",
                          "classifier.6.bias"]


def test_parameter_counts_and_arguments():
    def count(m):
        return sum(p.numel() for p in m.parameters())

    assert count(models.resnet18()) == 11_689_512
    assert count(models.resnet50()) == 25_557_032
    assert count(models.alexnet()) == 61_100_840
    assert count(models.vgg.make_layers(models.vgg.cfgs["D"])) + CLASSIFIER == 138_357_544
    assert count(models.resnext50_32x4d()) == 25_028_904
    m = models.resnet18(num_classes=10, zero_init_residual=True)
    assert tuple(m.fc.weight.shape) == (10, 512)
    assert float(m.layer1[0].bn2.weight.abs().sum()) == 0.0
    assert models.vgg11(num_classes=3, init_weights=False, dropout=0.2).classifier[2].p == 0.2
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1"):
        models.ResNet(models.BasicBlock, [1, 1, 1, 1], groups=2)


def test_pretrained_weights_are_a_clear_error():
    for call in (lambda: models.resnet18(weights="IMAGENET1K_V1"),
                 lambda: models.vgg16(weights=models.VGG16_Weights.IMAGENET1K_V1),
                 lambda: models.alexnet(pretrained=True),
                 lambda: models.resnet50(weights=models.ResNet50_Weights.DEFAULT)):
        with pytest.raises(RuntimeError, match="ships no pretrained weights"):
            call()
