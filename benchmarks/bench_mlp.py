"""MLP training throughput, graphgrad vs PyTorch in one process (issue 2's benchmark).

Flatten-Linear(784,512)-ReLU-Linear(512,10), cross-entropy, a hand-written SGD update under no_grad,
batch 64, MNIST-shaped random data. Also prints the per-op overhead of a small elementwise op
(forward plus backward). Run:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_mlp.py
"""
from __future__ import annotations

import argparse
import timeit

import numpy as np

import graphgrad
from _common import blas_report, cpu_time_per_step, interleaved


def make_graphgrad(x_np, y_np, w1, b1, w2, b2, lr):
    import graphgrad.nn as nn
    import graphgrad.nn.functional as F

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    for p, v in zip(model.parameters(), (w1, b1, w2, b2)):
        p.data = graphgrad.tensor(v)
    x, y = graphgrad.from_numpy(x_np), graphgrad.from_numpy(y_np)

    def step():
        loss = F.cross_entropy(model(x), y)
        for p in model.parameters():
            p.grad = None
        loss.backward()
        with graphgrad.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return step


def make_torch(x_np, y_np, w1, b1, w2, b2, lr):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    with torch.no_grad():
        for p, v in zip(model.parameters(), (w1, b1, w2, b2)):
            p.copy_(torch.from_numpy(v))
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        loss = F.cross_entropy(model(x), y)
        for p in model.parameters():
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return step


def op_overhead():
    """Microseconds for one small op forward+backward (a 16-element multiply and sum)."""
    import torch

    a = graphgrad.randn(16, requires_grad=True)
    b = graphgrad.randn(16)
    ta = torch.randn(16, requires_grad=True)
    tb = torch.randn(16)
    n = 20000
    g = min(timeit.repeat(lambda: (a * b).sum().backward(), number=n, repeat=3)) / n * 1e6
    t = min(timeit.repeat(lambda: (ta * tb).sum().backward(), number=n, repeat=3)) / n * 1e6
    return g, t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cpu-time", action="store_true",
                        help="compare CPU time per step on one thread (for busy machines)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    bs = args.batch_size
    x = rng.random((bs, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, bs).astype(np.int64)
    bound1, bound2 = 1 / np.sqrt(784), 1 / np.sqrt(512)
    w1 = rng.uniform(-bound1, bound1, (512, 784)).astype(np.float32)
    b1 = rng.uniform(-bound1, bound1, 512).astype(np.float32)
    w2 = rng.uniform(-bound2, bound2, (10, 512)).astype(np.float32)
    b2 = rng.uniform(-bound2, bound2, 10).astype(np.float32)
    steps = {"graphgrad": make_graphgrad(x, y, w1, b1, w2, b2, 0.01),
             "pytorch": make_torch(x, y, w1, b1, w2, b2, 0.01)}
    print(blas_report())
    if args.cpu_time:
        cpu = cpu_time_per_step(steps)
        print(f"CPU time per step, one thread: graphgrad {cpu['graphgrad'] * 1e3:.2f} ms, "
              f"pytorch {cpu['pytorch'] * 1e3:.2f} ms; throughput ratio graphgrad/pytorch "
              f"{cpu['pytorch'] / cpu['graphgrad']:.2f}x")
        return
    rates = interleaved(steps, bs, rounds=args.rounds)
    print(f"MLP 784-512-10 training, batch {bs} (images/s, median of {args.rounds} rounds):")
    print(f"  graphgrad {rates['graphgrad']:10.0f}")
    print(f"  pytorch   {rates['pytorch']:10.0f}")
    print(f"  ratio graphgrad/pytorch: {rates['graphgrad'] / rates['pytorch']:.2f}x")
    g, t = op_overhead()
    print(f"small op forward+backward: graphgrad {g:.1f} us, pytorch {t:.1f} us "
          f"(ratio {t / g:.2f}x)")


if __name__ == "__main__":
    main()
