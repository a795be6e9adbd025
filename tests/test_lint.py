"""The code stays clean by the project's lint rules (ruff, configured in pyproject.toml): unused
imports and variables, undefined names and overlong lines fail the suite, not a later reader."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_ruff_finds_nothing():
    pytest.importorskip("ruff", reason="ruff is installed by the test extra: pip install -e '.[test]'")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format",
                             "concise", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
