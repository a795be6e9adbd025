"""DCGAN training throughput, graphgrad vs PyTorch in one process (the dcgan-mnist recipe's step).

The recipe's networks (``graphgrad.models.DCGAN(latent_dim=100, channels=32, fc_hidden=512)``: two
Linear layers and two 4x4 stride-2 transposed convolutions with batch norm and ReLU; a
discriminator of two 4x4 stride-2 convolutions and two Linear layers with LeakyReLU and batch
norm), built as the same ``nn.Sequential`` in both frameworks
from the same weights. One step is the recipe's non-saturating GAN step: a discriminator update on
a real and a generated batch (generated detached), then a generator update through the
discriminator, each with its own Adam (lr 2e-4, betas (0.5, 0.999)); batch 32 as the recipe. Run:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_dcgan.py

``--cpu-time`` compares the median CPU time per step with one thread each instead, which stays
meaningful on a machine shared with other jobs.
"""
from __future__ import annotations

import argparse

import numpy as np

import graphgrad
import graphgrad.nn  # noqa: F401  (graphgrad.nn and .optim are subpackages)
import graphgrad.optim  # noqa: F401
from _common import blas_report, cpu_time_per_step, interleaved
from graphgrad.models.gan import DCGAN

LATENT = 100


def torch_twin(module, torch):
    """The same Sequential of layers in PyTorch, with ``module``'s parameters and buffers."""
    tnn = torch.nn
    build = {
        graphgrad.nn.Linear: lambda m: tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None),
        graphgrad.nn.BatchNorm1d: lambda m: tnn.BatchNorm1d(m.num_features),
        graphgrad.nn.BatchNorm2d: lambda m: tnn.BatchNorm2d(m.num_features),
        graphgrad.nn.ReLU: lambda m: tnn.ReLU(),
        graphgrad.nn.LeakyReLU: lambda m: tnn.LeakyReLU(m.negative_slope),
        graphgrad.nn.Tanh: lambda m: tnn.Tanh(),
        graphgrad.nn.Flatten: lambda m: tnn.Flatten(),
        graphgrad.nn.Unflatten: lambda m: tnn.Unflatten(m.dim, m.unflattened_size),
        graphgrad.nn.Conv2d: lambda m: tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size,
                                                  m.stride, m.padding, bias=m.bias is not None),
        graphgrad.nn.ConvTranspose2d: lambda m: tnn.ConvTranspose2d(
            m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
            bias=m.bias is not None),
    }
    twin = tnn.Sequential(*(build[type(m)](m) for m in module))
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in module.state_dict().items()}
    twin.load_state_dict(state, strict=False)  # PyTorch's num_batches_tracked may be absent here
    return twin


def make_step(lib, g, d, real_np, z_np):
    F = lib.nn.functional
    opt_g = lib.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = lib.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real, z = lib.from_numpy(real_np), lib.from_numpy(z_np)
    ones, zeros = lib.ones(len(real_np), 1), lib.zeros(len(real_np), 1)

    def step():
        fake = g(z)
        opt_d.zero_grad()
        d_loss = (F.binary_cross_entropy_with_logits(d(real), ones)
                  + F.binary_cross_entropy_with_logits(d(fake.detach()), zeros))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        g_loss = F.binary_cross_entropy_with_logits(d(fake), ones)
        g_loss.backward()
        opt_g.step()
        return g_loss
    return step


def contenders(batch: int, channels: int, fc_hidden: int):
    import torch

    graphgrad.manual_seed(0)
    model = DCGAN(latent_dim=LATENT, channels=channels, fc_hidden=fc_hidden)
    rng = np.random.default_rng(1)
    real = rng.uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)
    z = rng.standard_normal((batch, LATENT)).astype(np.float32)
    g_t, d_t = torch_twin(model.generator, torch), torch_twin(model.discriminator, torch)
    with graphgrad.no_grad(), torch.no_grad():  # same workload: the twins compute the same scores
        ours = model.discriminator(model.generator(graphgrad.from_numpy(z))).numpy()
        theirs = d_t(g_t(torch.from_numpy(z))).numpy()
    if not np.allclose(ours, theirs, rtol=1e-3, atol=1e-4):
        raise SystemExit(f"bench_dcgan: the PyTorch twin differs by {np.abs(ours - theirs).max():.3g}")
    return {"graphgrad": make_step(graphgrad, model.generator, model.discriminator, real, z),
            "pytorch": make_step(torch, g_t, d_t, real, z)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--fc-hidden", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu-time", action="store_true")
    args = parser.parse_args()
    print(blas_report())
    steps = contenders(args.batch_size, args.channels, args.fc_hidden)
    if args.cpu_time:
        times = cpu_time_per_step(steps)
        for name, t in times.items():
            print(f"{name:9s} {t * 1e3:7.1f} ms CPU per step (1 thread)")
        print(f"graphgrad / pytorch CPU time: {times['graphgrad'] / times['pytorch']:.2f}x")
        return
    rates = interleaved(steps, args.batch_size, rounds=args.rounds)
    for name, r in rates.items():
        print(f"{name:9s} {r:8.0f} images/s (DCGAN step, batch {args.batch_size})")
    print(f"graphgrad / pytorch throughput: {rates['graphgrad'] / rates['pytorch']:.2f}x")


if __name__ == "__main__":
    main()
