"""One contender's run of one workload, as a user's script runs: a fresh process that imports the
library (``import torch`` or ``import graphgrad as torch``), builds the model and trains. Nothing
else: no allocator, thread or kernel settings beyond what the environment gives every process.

    python benchmarks/run_workload.py graphgrad cnn-train [--seconds 3] [--tiny]

Prints one JSON line: throughput of the timed steps (after warm-up; start-up excluded), CPU time,
start-up time, peak RSS and the thread/BLAS settings the process ran with. ``compare.py`` runs this
script once per contender and repeat, alternating.
"""
from __future__ import annotations

import time

START = time.perf_counter()  # before the library is imported: start-up includes the import

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402

from _common import process_report  # noqa: E402
from workloads import WORKLOADS  # noqa: E402


def timed_steps(step, warmup_s: float, seconds: float, min_steps: int = 3):
    """Warm up for ``warmup_s`` (at least 2 steps), then run steps for at least ``seconds`` and
    ``min_steps``; return (steps, wall seconds, CPU seconds, last result)."""
    begin = time.perf_counter()
    n = 0
    while n < 2 or time.perf_counter() - begin < warmup_s:
        out = step()
        n += 1
    n, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while n < min_steps or time.perf_counter() - wall0 < seconds:
        out = step()
        n += 1
    return n, time.perf_counter() - wall0, time.process_time() - cpu0, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", choices=("graphgrad", "torch"))
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds (after warm-up)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (for tests)")
    args = parser.parse_args()
    torch = importlib.import_module(args.library)  # the user's `import torch` / `import graphgrad as torch`
    torch.manual_seed(0)
    work = WORKLOADS[args.workload](torch, args.tiny)
    startup = time.perf_counter() - START
    n, wall, cpu, out = timed_steps(work.step, args.warmup, args.seconds)
    value = float(out.detach().sum()) if hasattr(out, "detach") else float("nan")
    print(json.dumps({
        "library": args.library, "workload": args.workload, "about": work.about, "unit": work.unit,
        "steps": n, "items_per_step": work.items, "throughput": n * work.items / wall,
        "cpu_throughput": n * work.items / cpu, "step_ms": wall / n * 1e3,
        "startup_s": startup, "finite": math.isfinite(value),
        **process_report(torch),
    }))


if __name__ == "__main__":
    main()
