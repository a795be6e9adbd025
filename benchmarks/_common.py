"""Shared benchmark helpers: the environment a benchmark process gets, and what it reports about
itself (peak memory, threads, BLAS kernel), so that every figure says how it was measured.

Run benchmarks as ../shared/PERF.md says: OpenBLAS's kernel variables unset for the measured
process only (``compare.py`` does that for its children), one framework per process.
"""
from __future__ import annotations

import os
import resource
import statistics
import time

# Variables that pin OpenBLAS to an older, slower kernel on the project's machine (PERF.md).
OPENBLAS_KERNEL_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def child_env(threads: int | None) -> dict:
    """The environment of a measured process: OpenBLAS kernel overrides removed and, when
    ``threads`` is given, every thread pool (OpenMP, OpenBLAS, MKL) set to that many threads."""
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_KERNEL_VARIABLES}
    if threads:
        env.update({k: str(threads) for k in THREAD_VARIABLES})
    return env


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas_pools() -> list:
    """The native thread pools loaded in this process (threadpoolctl): library, kernel, threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{"api": i.get("internal_api"), "kernel": i.get("architecture"),
             "threads": i.get("num_threads"), "version": i.get("version")} for i in threadpool_info()]


def blas_report() -> str:
    """One line: the loaded BLAS/OpenMP pools, and a warning if OpenBLAS's kernel is pinned."""
    pools = ", ".join(f"{p['api']}:{p['kernel']}x{p['threads']}" for p in blas_pools()) or "none"
    pinned = [k for k in OPENBLAS_KERNEL_VARIABLES if k in os.environ]
    note = f"  (warning: {', '.join(pinned)} set; see PERF.md)" if pinned else ""
    return f"BLAS: {pools}{note}"


def process_report(lib) -> dict:
    """What a measured process ran with: library version, threads, BLAS pools, OpenBLAS's idle
    spin (graphgrad sets it on import; graphgrad/_blas_spin.py), peak RSS."""
    get_threads = getattr(lib, "get_num_threads", None)
    return {"version": getattr(lib, "__version__", "?"),
            "num_threads": get_threads() if get_threads else None,
            "blas": blas_pools(), "openblas_thread_timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
            "peak_rss_mib": peak_rss_mib()}


def throughput(step, items_per_step: int, warmup: int = 5, repeats: int = 7, min_time: float = 0.5):
    """Median items/s of ``step()`` over ``repeats`` timed blocks of at least ``min_time`` s each
    (one library in one process: for graphgrad-only benchmarks such as bench_data.py)."""
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
