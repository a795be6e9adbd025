"""``graphgrad export RUN_DIR --onnx FILE`` on a tiny trained run, as a user would: the exported
model in ONNX Runtime agrees with ``graphgrad predict`` and with the run's model."""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import graphgrad  # noqa: E402
from graphgrad.recipes.runs import _load_trained  # noqa: E402
from graphgrad.vision.datasets import MNISTSample  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from onnx_check import session  # noqa: E402

EXE = shutil.which("graphgrad")


def cli(*args):
    cmd = [EXE] if EXE else [sys.executable, "-m", "graphgrad"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=600)


def test_export_a_trained_run_and_serve_it(tmp_path):
    result = cli("run", "mnist-cnn", "--epochs", "1",
                       "--set", "model_args={\"channels\": [4, 8], \"hidden\": 16}",
                       "--out", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    (run,) = [p for p in tmp_path.iterdir() if p.name.startswith("mnist-cnn-")]
    path = tmp_path / "digits.onnx"
    ex = cli("export", str(run), "--onnx", str(path))
    assert ex.returncode == 0, ex.stderr
    assert f"wrote {path}" in ex.stdout and "Normalize(mean=(0.1307,), std=(0.3081,)" in ex.stdout

    # the user's side: read a PNG, prepare it as the run's test images are, run ONNX Runtime
    from PIL import Image

    images = [np.asarray(MNISTSample(train=False)[i][0]) for i in range(5)]
    png = tmp_path / "digit.png"
    Image.fromarray(images[0]).save(png)
    pr = cli("predict", str(run), str(png))
    assert pr.returncode == 0, pr.stderr
    label, prob = re.search(r": (.+) \(([0-9.]+)\)$", pr.stdout.strip()).groups()
    sess = session(path.read_bytes())
    batch = ((np.stack(images)[:, None] / 255.0 - 0.1307) / 0.3081).astype(np.float32)
    (logits,) = sess.run(["logits"], {"input": batch[:1]})
    p = np.exp(logits[0] - logits[0].max())
    p /= p.sum()
    assert MNISTSample.classes[int(p.argmax())] == label and abs(p.max() - float(prob)) < 1e-3

    # and the run's own model on a batch of another size (the batch axis is dynamic)
    _, _, model, _ = _load_trained(str(run))
    with graphgrad.no_grad():
        expected = model(graphgrad.tensor(batch)).numpy()
    (got,) = sess.run(None, {"input": batch})
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_export_errors_are_one_clear_line(tmp_path):
    result = cli("export", str(tmp_path / "nosuch"), "--onnx", str(tmp_path / "m.onnx"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "export: " in result.stderr and "no such run folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
