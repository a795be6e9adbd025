"""Data-parallel CNN training on this machine's cores: 1 rank x 1 thread, 1 rank x 2 threads, and
2 ranks x 1 thread (DistributedDataParallel over MPI), the same global batch of 64 each.

The model is workloads.py's mnist_cnn (the lectures' CNN on MNIST-sized input, SGD). Each contender runs in
fresh processes, alternated (A B C A B C ...), and the medians are reported: images/s, the time per
step, the part of it spent inside the gradient allreduce (DDP's reducer, waiting for the other rank
included), the time of the same allreduce alone, the CPU time per step of all ranks together (the work done,
which a machine shared with other jobs distorts less than wall-clock time), and the scaling
efficiency of 2 ranks (their throughput over twice one rank's with one thread). A fourth contender
caps DDP's buckets at 0.25 MB, so that part of the allreduce starts during backward. Run, from the
repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_ddp.py

Needs mpi4py and mpiexec (pip install "graphgrad[distributed]").
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# name: (ranks, BLAS threads per rank, DDP bucket_cap_mb). With PyTorch's default caps this CNN's
# 0.86 MB of gradients travel in one bucket, which can only start when backward has finished; the
# last contender caps buckets at 0.25 MB, which splits them in two (the 0.8 MB fc1 weight and the
# rest): the fc layers' bucket starts while backward still computes the convolutions' gradients.
CONTENDERS = {"1 rank x 1 thread": (1, 1, None), "1 rank x 2 threads": (1, 2, None),
              "2 ranks x 1 thread": (2, 1, None), "2 ranks, 2 buckets": (2, 1, 0.25)}


def measure(steps: int, warmup: int, global_batch: int, bucket_cap_mb: float | None = None) -> dict | None:
    """Train the CNN for ``warmup`` + ``steps`` steps on this rank's share of ``global_batch``;
    return the timings on rank 0 (None on the others). Initialises and destroys the process group."""
    import numpy as np

    import graphgrad
    import graphgrad.distributed as dist
    import graphgrad.nn.functional as F
    from workloads import mnist_cnn
    from graphgrad.distributed import _mpi
    from graphgrad.nn.parallel import DistributedDataParallel

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    MPI, comm = _mpi.load_mpi(), dist.group.WORLD.comm
    graphgrad.manual_seed(0)  # the same weights on every rank (DDP would broadcast rank 0's anyway)
    model = mnist_cnn(graphgrad.nn)
    net = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb) if world > 1 else model
    opt = graphgrad.optim.SGD(net.parameters(), lr=0.01)
    rng = np.random.default_rng(rank)
    per_rank = global_batch // world
    x = graphgrad.from_numpy(rng.random((per_rank, 1, 28, 28), dtype=np.float32))
    y = graphgrad.from_numpy(rng.integers(0, 10, per_rank).astype(np.int64))

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    comm.Barrier()
    comm_before = net.reducer.comm_seconds if world > 1 else 0.0
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    cpu_s = (time.process_time() - cpu_start) / steps
    comm.Barrier()
    step_s = (time.perf_counter() - start) / steps
    cpu_all_ranks_s = comm.allreduce(cpu_s)
    in_allreduce_s = ((net.reducer.comm_seconds if world > 1 else 0.0) - comm_before) / steps
    grads = np.zeros(sum(p.numel() for p in model.parameters()), dtype=np.float32)
    comm.Barrier()
    start = time.perf_counter()
    for _ in range(20):
        comm.Allreduce(MPI.IN_PLACE, grads, MPI.SUM)
    allreduce_alone_s = (time.perf_counter() - start) / 20
    dist.destroy_process_group()
    if rank != 0:
        return None
    return {"world": world, "step_ms": step_s * 1e3, "in_allreduce_ms": in_allreduce_s * 1e3,
            "allreduce_alone_ms": allreduce_alone_s * 1e3, "gradient_mb": grads.nbytes / 2**20,
            "images_per_s": global_batch / step_s, "cpu_ms_all_ranks": cpu_all_ranks_s * 1e3,
            "buckets": len(net.reducer.buckets) if world > 1 else 0}


def run_contender(ranks: int, threads: int, bucket_cap_mb: float | None, args) -> dict:
    """One fresh launch of this script as ``ranks`` MPI ranks of ``threads`` BLAS threads each."""
    from graphgrad.distributed.run import mpiexec_command

    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    program = [sys.executable, os.path.abspath(__file__), "--worker", "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--global-batch", str(args.global_batch)]
    if bucket_cap_mb is not None:
        program += ["--bucket-cap-mb", str(bucket_cap_mb)]
    argv, env = mpiexec_command(ranks, program, environ=env)
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bucket-cap-mb", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, HERE)
    if args.worker:
        result = measure(args.steps, args.warmup, args.global_batch, args.bucket_cap_mb)
        if result is not None:
            print(json.dumps(result), flush=True)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    runs = {name: [] for name in CONTENDERS}
    for _ in range(args.rounds):
        for name, (ranks, threads, cap) in CONTENDERS.items():
            runs[name].append(run_contender(ranks, threads, cap, args))
    med = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()}
    for name, m in med.items():
        print(f"{name:19s} {m['images_per_s']:7.0f} images/s  {m['step_ms']:6.1f} ms/step  "
              f"CPU {m['cpu_ms_all_ranks']:6.1f} ms/step  "
              f"in allreduce {m['in_allreduce_ms']:5.2f} ms/step  "
              f"in {m['buckets']:.0f} buckets (allreduce of {m['gradient_mb']:.2f} MB alone: "
              f"{m['allreduce_alone_ms']:.2f} ms)")
    one, two_threads, two_ranks, _ = (med[n]["images_per_s"] for n in CONTENDERS)
    print(f"2 ranks x 1 thread vs 1 rank x 2 threads: {two_ranks / two_threads:.2f}x")
    print(f"scaling efficiency of 2 ranks (vs 2 x one rank of 1 thread): {two_ranks / (2 * one):.0%}")
    print(f"2 threads in one rank (vs 2 x one thread): {two_threads / (2 * one):.0%}")
    cpu = {n: med[n]["cpu_ms_all_ranks"] for n in CONTENDERS}
    ratio = cpu["2 ranks x 1 thread"] / cpu["1 rank x 1 thread"]
    print(f"CPU time of 2 ranks (MPI's busy waiting included) vs 1 rank x 1 thread: {ratio:.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
