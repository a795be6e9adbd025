"""The data, models and training loop shared by the DDP script (run as MPI ranks) and the tests that
train the same models in one process with the whole batch, to compare the final weights."""
import contextlib

import numpy as np

import graphgrad as torch
import graphgrad.nn as nn
import graphgrad.nn.functional as F

STEPS, GLOBAL_BATCH = 20, 64


def data(steps=STEPS, batch=GLOBAL_BATCH, seed=0):
    """``steps`` batches of 12x12 one-channel images and labels of 10 classes."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, batch, 1, 12, 12)).astype(np.float32)
    y = rng.integers(0, 10, (steps, batch))
    return x, y


def cnn(seed: int, batch_norm: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Conv2d(1, 6, 3)] + ([nn.BatchNorm2d(6)] if batch_norm else [])
    return nn.Sequential(*layers, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 5 * 5, 10))


def shard(array, rank: int, world: int):
    """Rank ``rank``'s contiguous part of a batch (axis 0)."""
    n = len(array) // world
    return array[rank * n:(rank + 1) * n]


def train(model, batches, ddp=None, micro_batches: int = 1, lr=0.05, momentum=0.9):
    """SGD over ``batches`` ((x, y) arrays). With ``micro_batches`` > 1 each batch is split and the
    gradients accumulated, the first micro-batches inside ``ddp.no_sync()`` when ``ddp`` is given."""
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for x, y in batches:
        opt.zero_grad()
        for m in range(micro_batches):
            xm, ym = shard(x, m, micro_batches), shard(y, m, micro_batches)
            last = m == micro_batches - 1
            context = ddp.no_sync() if ddp is not None and not last else contextlib.nullcontext()
            with context:
                loss = F.cross_entropy(model(torch.tensor(xm)), torch.tensor(ym)) / micro_batches
                loss.backward()
        opt.step()
    return model


def weights(model) -> dict:
    """A model's state as arrays, without DDP's ``module.`` prefix."""
    return {k.removeprefix("module."): v.numpy().copy() for k, v in model.state_dict().items()}


def batch_norm_case(layer_class, world: int = 2):
    """A float64 batch-norm layer of ``layer_class`` with random affine parameters, and per rank an
    input batch of 3, 5, ... samples (unequal counts) and the upstream gradient for it."""
    rng = np.random.default_rng(7)
    sizes = [3 + 2 * q for q in range(world)]
    inputs = [rng.standard_normal((n, 4, 3, 2)) for n in sizes]
    upstream = [rng.standard_normal((n, 4, 3, 2)) for n in sizes]
    layer = layer_class(4, momentum=0.3, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(rng.standard_normal(4)))
        layer.bias.copy_(torch.tensor(rng.standard_normal(4)))
    return layer, inputs, upstream
