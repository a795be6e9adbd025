"""CNN training and inference throughput, graphgrad vs PyTorch in one process (issue 4's benchmark).

Conv2d(1,32,3)-ReLU-MaxPool2d(2)-Conv2d(32,64,3)-ReLU-MaxPool2d(2)-Flatten-Linear(1600,128)-ReLU-
Linear(128,10), cross-entropy, optim.SGD(lr=0.01), batch 64, MNIST-shaped random data; both models
start from the same weights. Also forward-only inference at batch 256 under no_grad, and the peak
memory of each framework's training (in a child process per framework that imports only that
framework: peak RSS over ten steps minus the RSS before the model was built). Run:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_cnn.py

``--keep-malloc`` asks glibc to keep freed memory (PERF.md's page-fault trap) for both frameworks;
``--profile`` prints where graphgrad's training step spends its time; ``--cpu-time`` compares the
median CPU time per step with one thread each (BLAS and PyTorch), which stays meaningful on a
machine shared with other jobs (wall-clock ratios there swing widely: threaded BLAS calls stall
whenever one of their threads is descheduled).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

import numpy as np

import graphgrad
import graphgrad.nn  # noqa: F401  (graphgrad.nn and .optim are subpackages)
import graphgrad.optim  # noqa: F401
from _common import blas_report, interleaved
from graphgrad.allocator import keep_freed_memory


def init_weights(seed=0):
    rng = np.random.default_rng(seed)

    def uni(fan_in, *shape):
        b = 1 / np.sqrt(fan_in)
        return rng.uniform(-b, b, shape).astype(np.float32)

    return [uni(9, 32, 1, 3, 3), uni(9, 32), uni(288, 64, 32, 3, 3), uni(288, 64),
            uni(1600, 128, 1600), uni(1600, 128), uni(128, 10, 128), uni(128, 10)]


def build(lib, weights):
    """The same model in graphgrad or PyTorch (``lib`` is the top-level package)."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.from_numpy(w.copy()))
    return model


def make_steps(lib, weights, x_np, y_np, xi_np):
    F = lib.nn.functional
    model = build(lib, weights)
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    x, y, xi = lib.from_numpy(x_np), lib.from_numpy(y_np), lib.from_numpy(xi_np)

    def train():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def infer():
        with lib.no_grad():
            return model(xi)
    return train, infer


def data(batch, infer_batch):
    rng = np.random.default_rng(1)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    xi = rng.random((infer_batch, 1, 28, 28), dtype=np.float32)
    return x, y, xi


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_child(which: str, batch: int, steps: int) -> None:
    """Child process: peak RSS rise over ``steps`` training steps of one framework, as JSON."""
    if which == "pytorch":
        import torch as lib
    else:
        lib = graphgrad
    x, y, xi = data(batch, 1)
    weights = init_weights()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak-RSS mark (Linux): imports do not count
    except OSError:
        pass
    before = _rss_bytes()
    train, _ = make_steps(lib, weights, x, y, xi)
    for _ in range(steps):
        train()
    peak = _peak_rss_bytes()
    print(json.dumps({"peak_mib": max(peak - before, 0) / 2 ** 20}))


def _peak_rss_bytes() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_memory(which: str, batch: int, keep: bool) -> float:
    cmd = [sys.executable, __file__, "--memory-child", which, "--batch-size", str(batch)]
    if keep:
        cmd.append("--keep-malloc")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_mib"]


def profile_graphgrad(batch: int) -> None:
    import cProfile
    import pstats

    x, y, xi = data(batch, 1)
    train, _ = make_steps(graphgrad, init_weights(), x, y, xi)
    for _ in range(3):
        train()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(30):
        train()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(18)


def cpu_time_per_step(batch: int, infer_batch: int) -> None:
    import time

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    x, y, xi = data(batch, infer_batch)
    with threadpool_limits(1):
        for name, lib in (("graphgrad", graphgrad), ("pytorch", torch)):
            train, infer = make_steps(lib, init_weights(), x, y, xi)
            for kind, fn, n in (("training", train, 30), ("inference", infer, 10)):
                for _ in range(3):
                    fn()
                times = []
                for _ in range(n):
                    start = time.process_time()
                    fn()
                    times.append(time.process_time() - start)
                print(f"{name:9s} {kind:9s} {np.median(times) * 1e3:7.1f} ms CPU per step "
                      "(1 thread)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--infer-batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep-malloc", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cpu-time", action="store_true")
    parser.add_argument("--memory-child", choices=("graphgrad", "pytorch"))
    args = parser.parse_args()
    if args.keep_malloc:  # glibc keeps freed memory (for both frameworks: it is process-wide)
        keep_freed_memory()
    if args.memory_child:
        memory_child(args.memory_child, args.batch_size, 10)
        return
    if args.profile:
        profile_graphgrad(args.batch_size)
        return
    if args.cpu_time:
        cpu_time_per_step(args.batch_size, args.infer_batch_size)
        return
    import torch

    bs, ibs = args.batch_size, args.infer_batch_size
    x, y, xi = data(bs, ibs)
    weights = init_weights()
    g_train, g_infer = make_steps(graphgrad, weights, x, y, xi)
    t_train, t_infer = make_steps(torch, weights, x, y, xi)
    loss_g, loss_t = g_train().item(), t_train().item()
    print(blas_report() + f"; torch threads {torch.get_num_threads()}"
          + ("; glibc keeps freed memory" if args.keep_malloc else "; default malloc"))
    print(f"first-step loss: graphgrad {loss_g:.6f}, pytorch {loss_t:.6f}")
    train = interleaved({"graphgrad": g_train, "pytorch": t_train}, bs, rounds=args.rounds)
    infer = interleaved({"graphgrad": g_infer, "pytorch": t_infer}, ibs, rounds=args.rounds)
    print(f"CNN training, batch {bs} (images/s, median of {args.rounds} rounds):")
    print(f"  graphgrad {train['graphgrad']:9.0f}   pytorch {train['pytorch']:9.0f}   "
          f"ratio {train['graphgrad'] / train['pytorch']:.2f}x")
    print(f"CNN inference, batch {ibs} (images/s):")
    print(f"  graphgrad {infer['graphgrad']:9.0f}   pytorch {infer['pytorch']:9.0f}   "
          f"ratio {infer['graphgrad'] / infer['pytorch']:.2f}x")
    if not args.no_memory:
        g = peak_memory("graphgrad", bs, args.keep_malloc)
        t = peak_memory("pytorch", bs, args.keep_malloc)
        print(f"peak memory of training (rise of peak RSS): graphgrad {g:.1f} MiB, "
              f"pytorch {t:.1f} MiB")


if __name__ == "__main__":
    main()
