"""The benchmark scripts keep working: their same-workload set-up builds and runs (tiny sizes)."""
import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

import bench_dcgan  # noqa: E402


def test_dcgan_benchmark_runs_the_same_step_in_both_frameworks():
    steps = bench_dcgan.contenders(batch=4, channels=4, fc_hidden=8)  # raises if the twins differ
    losses = {name: float(step().detach().numpy()) for name, step in steps.items()}
    assert np.isfinite(losses["graphgrad"])
    np.testing.assert_allclose(losses["graphgrad"], losses["pytorch"], rtol=1e-3)


def test_ddp_benchmark_measures_a_step_in_a_world_of_one():
    pytest.importorskip("mpi4py")
    import bench_ddp

    result = bench_ddp.measure(steps=1, warmup=0, global_batch=2)
    assert result["world"] == 1 and result["step_ms"] > 0 and result["gradient_mb"] > 0.5
