"""Shared benchmark helpers: timing with medians, BLAS kernel report, and the run instructions.

Run every benchmark as ../shared/PERF.md says, with OpenBLAS's kernel variables unset in that command
only:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/<script>.py
Both frameworks run in the same process, so they share the allocator and the machine's state; the
ratio between them is the figure to quote (absolute times drift on shared machines)."""
from __future__ import annotations

import os
import statistics
import time


def blas_report() -> str:
    try:
        from threadpoolctl import threadpool_info

        info = [f"{i.get('internal_api')}:{i.get('architecture')}x{i.get('num_threads')}"
                for i in threadpool_info()]
        kernels = ", ".join(info)
    except ImportError:
        kernels = "threadpoolctl not installed"
    unset = "OPENBLAS_CORETYPE" not in os.environ and "OPENBLAS_L2_SIZE" not in os.environ
    note = "" if unset else "  (warning: OPENBLAS_CORETYPE/L2_SIZE set; see PERF.md)"
    return f"BLAS: {kernels}{note}"


def throughput(step, items_per_step: int, warmup: int = 5, repeats: int = 7, min_time: float = 0.5):
    """Median items/s of ``step()`` over ``repeats`` timed blocks of at least ``min_time`` s each."""
    for _ in range(warmup):
        step()
    rates = []
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            step()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        rates.append(n * items_per_step / elapsed)
    return statistics.median(rates)


def interleaved(steps: dict, items_per_step: int, rounds: int = 5, **kw) -> dict:
    """Measure several contenders in alternation (A B A B ...) so drift hits them equally; medians."""
    results = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            results[name].append(throughput(step, items_per_step, repeats=1, **kw))
    return {name: statistics.median(v) for name, v in results.items()}


def cpu_time_per_step(steps: dict, warmup: int = 5, n: int = 50) -> dict:
    """Median CPU seconds per call of each step with BLAS and PyTorch limited to one thread.

    On a machine that other processes keep busy, wall-clock ratios swing widely; the CPU time of one
    thread measures the work each framework does, free of waiting for a busy second core."""
    import time

    from threadpoolctl import threadpool_limits

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    out = {}
    with threadpool_limits(1):
        for name, step in steps.items():
            for _ in range(warmup):
                step()
            times = []
            for _ in range(n):
                start = time.process_time()
                step()
                times.append(time.process_time() - start)
            out[name] = statistics.median(times)
    return out
