"""Shared test set-up: a fixed seed per test, and where the shared real data lives (if present)."""
import os

# Under pytest-xdist each worker is one process per core: one BLAS thread each, so the workers do not
# oversubscribe the machine (must be set before NumPy loads OpenBLAS).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import graphgrad  # noqa: E402

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


@pytest.fixture(autouse=True)
def _seed():
    graphgrad.manual_seed(0)
    np.random.seed(0)
    yield

# Make tests/parity.py importable from every test folder.
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
