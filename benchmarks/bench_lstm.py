"""Character-level LSTM training throughput, graphgrad vs PyTorch in one process (issue 5).

Embedding(65, 64) - LSTM(64, 256) - Linear(256, 65), cross-entropy over every position, Adam,
batch 32 x sequence 64 (2,048 characters per step), random characters, the same initial weights in
both frameworks. Prints characters/s for each and the ratio (medians of interleaved rounds);
``--profile`` adds where graphgrad's step spends its time. Run:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_lstm.py
"""
from __future__ import annotations

import argparse
import cProfile
import pstats

import numpy as np

import graphgrad
from _common import blas_report, interleaved

VOCAB, EMBED, HIDDEN = 65, 64, 256


def init_weights(rng):
    """PyTorch's default initialisation, drawn once and copied into both models."""
    k = 1 / np.sqrt(HIDDEN)
    kl = 1 / np.sqrt(HIDDEN)

    def u(bound, *shape):
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    return {"emb.weight": rng.standard_normal((VOCAB, EMBED)).astype(np.float32),
            "lstm.weight_ih_l0": u(k, 4 * HIDDEN, EMBED), "lstm.weight_hh_l0": u(k, 4 * HIDDEN, HIDDEN),
            "lstm.bias_ih_l0": u(k, 4 * HIDDEN), "lstm.bias_hh_l0": u(k, 4 * HIDDEN),
            "out.weight": u(kl, VOCAB, HIDDEN), "out.bias": u(kl, VOCAB)}


def make_graphgrad(weights, x_np, y_np):
    import graphgrad.nn as nn
    import graphgrad.nn.functional as F

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(VOCAB, EMBED)
            self.lstm = nn.LSTM(EMBED, HIDDEN)
            self.out = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x):
            h, _ = self.lstm(self.emb(x))
            return self.out(h)

    model = CharLSTM()
    model.load_state_dict({k: graphgrad.tensor(v) for k, v in weights.items()})
    opt = graphgrad.optim.Adam(model.parameters(), lr=2e-3)
    x, y = graphgrad.from_numpy(x_np), graphgrad.from_numpy(y_np.reshape(-1))

    def step():
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def make_torch(weights, x_np, y_np):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(VOCAB, EMBED)
            self.lstm = nn.LSTM(EMBED, HIDDEN)
            self.out = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x):
            h, _ = self.lstm(self.emb(x))
            return self.out(h)

    model = CharLSTM()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np.reshape(-1))

    def step():
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile graphgrad's step")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    shape = (args.seq_len, args.batch_size)
    x = rng.integers(0, VOCAB, shape).astype(np.int64)
    y = rng.integers(0, VOCAB, shape).astype(np.int64)
    weights = init_weights(rng)
    steps = {"graphgrad": make_graphgrad(weights, x, y), "pytorch": make_torch(weights, x, y)}
    # same weights and data: the first losses agree
    first = {k: float(s().item()) for k, s in steps.items()}
    assert abs(first["graphgrad"] - first["pytorch"]) < 1e-3 * abs(first["pytorch"]), first
    chars = args.batch_size * args.seq_len
    print(blas_report())
    rates = interleaved(steps, chars, rounds=args.rounds)
    print(f"Embedding({VOCAB},{EMBED})-LSTM({EMBED},{HIDDEN})-Linear({HIDDEN},{VOCAB}) training, "
          f"Adam, batch {args.batch_size} x seq {args.seq_len} (chars/s, median of "
          f"{args.rounds} rounds):")
    print(f"  graphgrad {rates['graphgrad']:10.0f}")
    print(f"  pytorch   {rates['pytorch']:10.0f}")
    print(f"  ratio graphgrad/pytorch: {rates['graphgrad'] / rates['pytorch']:.2f}x")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(20):
            steps["graphgrad"]()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
