"""Shared test set-up: a fixed seed per test, and where the shared real data lives (if present)."""
import os

import numpy as np
import pytest

import graphgrad

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


@pytest.fixture(autouse=True)
def _seed():
    graphgrad.manual_seed(0)
    np.random.seed(0)
    yield

# Make tests/parity.py importable from every test folder.
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
