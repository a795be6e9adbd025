"""graphgrad.set_num_threads / get_num_threads (PyTorch's names) set and read the thread count of
the BLAS library behind NumPy. Each case runs in a fresh interpreter: the setting is process-wide."""
import os
import subprocess
import sys

import pytest

import graphgrad

PROBE = """
import sys
import numpy as np
from threadpoolctl import threadpool_info
import graphgrad
print(graphgrad.get_num_threads())
for n in map(int, sys.argv[1:]):
    graphgrad.set_num_threads(n)
    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    a = graphgrad.randn(64, 64)
    assert np.allclose((a @ a).numpy(), a.numpy() @ a.numpy())  # products still run
    print(graphgrad.get_num_threads(), *blas)
"""


def run_probe(*values, threads_env=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    if threads_env:
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(threads_env)
    out = subprocess.run([sys.executable, "-c", PROBE, *map(str, values)], capture_output=True,
                         text=True, check=True, env=env).stdout
    return [[int(v) for v in line.split()] for line in out.strip().splitlines()]


def test_set_num_threads_sets_every_loaded_blas_pool_and_get_reads_it():
    lines = run_probe(1, 2, 1)
    assert lines[0][0] >= 1  # the default: the library's own (usually one per core)
    for want, line in zip((1, 2, 1), lines[1:]):
        assert line[0] == want and line[1:] and all(v == want for v in line[1:])


def test_get_num_threads_reports_what_the_environment_set():
    assert run_probe(threads_env=1) == [[1]]


@pytest.mark.parametrize("bad, message", [(0, "positive integer"), (-2, "positive integer"),
                                          (2.0, "expects an int, but got float"),
                                          ("2", "expects an int, but got str"),
                                          (True, "expects an int, but got bool")])
def test_bad_values_are_refused_as_pytorch_does(bad, message):
    with pytest.raises(RuntimeError, match=message):
        graphgrad.set_num_threads(bad)


SPIN_PROBE = """
import os, sys
if sys.argv[1] == "numpy-first":
    import numpy  # noqa: F401
import graphgrad, graphgrad._blas_spin as spin
print(os.environ.get("OPENBLAS_THREAD_TIMEOUT"), spin.applied)
"""


@pytest.mark.parametrize("order, preset, want", [
    ("graphgrad-first", None, "18 True"),       # graphgrad sets the short spin before OpenBLAS loads
    ("graphgrad-first", "28", "28 False"),      # a value the user set is left alone
    ("numpy-first", None, "None False"),        # too late: OpenBLAS already read its settings
])
def test_openblas_spin_timeout_is_set_only_before_numpy_and_only_when_unset(order, preset, want):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if preset:
        env["OPENBLAS_THREAD_TIMEOUT"] = preset
    out = subprocess.run([sys.executable, "-c", SPIN_PROBE, order], capture_output=True, text=True,
                         check=True, env=env).stdout
    assert out.split() == want.split()
