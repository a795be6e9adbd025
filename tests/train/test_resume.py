"""A run killed with SIGKILL during epoch 2 and resumed ends with exactly the parameters of an
uninterrupted run, bit for bit."""
import os
import subprocess
import sys

import numpy as np

SCRIPT = os.path.join(os.path.dirname(__file__), "resume_script.py")


def _run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=300)


def test_kill_9_then_resume_matches_uninterrupted_run(tmp_path):
    full = _run(str(tmp_path / "full"), "full", str(tmp_path / "full.npz"))
    assert full.returncode == 0, full.stderr
    killed = _run(str(tmp_path / "run"), "kill", str(tmp_path / "never.npz"))
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    assert not (tmp_path / "never.npz").exists()
    resumed = _run(str(tmp_path / "run"), "resume", str(tmp_path / "resumed.npz"))
    assert resumed.returncode == 0, resumed.stderr
    a, b = np.load(tmp_path / "full.npz"), np.load(tmp_path / "resumed.npz")
    assert sorted(a.files) == sorted(b.files)
    for key in a.files:
        assert np.array_equal(a[key], b[key]), key
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 3  # one line per epoch, none duplicated by the resume


def test_ctrl_c_mid_epoch_saves_and_resume_continues_exactly(tmp_path):
    full = _run(str(tmp_path / "full"), "full", str(tmp_path / "full.npz"))
    assert full.returncode == 0, full.stderr
    stopped = _run(str(tmp_path / "run"), "interrupt", str(tmp_path / "never.npz"))
    assert stopped.returncode != 0 and "checkpoint saved" in stopped.stdout, stopped.stdout
    resumed = _run(str(tmp_path / "run"), "resume", str(tmp_path / "resumed.npz"))
    assert resumed.returncode == 0, resumed.stderr
    a, b = np.load(tmp_path / "full.npz"), np.load(tmp_path / "resumed.npz")
    for key in a.files:
        assert np.array_equal(a[key], b[key]), key
