"""The command line, used as a person would: the installed ``graphgrad`` command in a subprocess,
on tiny settings; what it prints and the files it writes."""
import json
import shutil
import subprocess
import sys

import pytest

EXE = shutil.which("graphgrad")


def graphgrad(*args, cwd=None, timeout=600):
    cmd = [EXE] if EXE else [sys.executable, "-m", "graphgrad"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_list_shows_recipes():
    result = graphgrad("list")
    assert result.returncode == 0
    for name in ("mnist-cnn", "mnist-mlp", "mnist-logreg", "mnist-lenet", "mnist-augment",
                 "fashion-mnist-cnn", "cifar10-resnet20", "resnet-vs-plain", "autoencoder-mnist",
                 "vae-mnist", "gan-mnist", "dcgan-mnist", "char-rnn", "seq2seq", "word2vec",
                 "vanishing-gradients", "adversarial-mnist"):
        assert name in result.stdout


@pytest.mark.parametrize("args,message", [
    (["run", "mnist-cnnn"], "unknown recipe"),
    (["run", "mnist-cnn", "--set", "nosuch=1"], "has no setting 'nosuch'"),
    (["run", "mnist-cnn", "--set", "epochs=abc"], "expects a number"),
    (["run", "mnist-cnn", "--data", "/no/such/folder"], "no such file or folder"),
    (["run", "cifar10-resnet20"], "needs --data" if False else "CIFAR-10"),
])
def test_bad_input_gets_one_clear_line(args, message, tmp_path):
    result = graphgrad(*args, "--out", str(tmp_path)) if args[0] == "run" else graphgrad(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_eval_predict_on_tiny_settings(tmp_path):
    result = graphgrad("run", "mnist-cnn", "--epochs", "1",
                       "--set", "model_args={\"channels\": [4, 8], \"hidden\": 16}",
                       "--out", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    (run,) = [p for p in tmp_path.iterdir() if p.name.startswith("mnist-cnn-")]
    for name in ("config.json", "metrics.jsonl", "checkpoint.npz", "report.md", "test_metrics.json"):
        assert (run / name).exists(), name
    for plot in ("loss.png", "accuracy.png", "confusion_matrix.png", "misclassified.png", "filters.png"):
        data = (run / "plots" / plot).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", plot
    config = json.loads((run / "config.json").read_text())
    assert config["epochs"] == 1 and config["seed"] == 0
    accuracy = json.loads((run / "test_metrics.json").read_text())["test_accuracy"]
    assert accuracy > 0.5  # one epoch of a tiny CNN on the embedded sample already learns
    assert "test accuracy" in result.stdout
    ev = graphgrad("eval", str(run))
    assert ev.returncode == 0, ev.stderr
    assert "test accuracy" in ev.stdout
    image = tmp_path / "digit.png"
    _write_digit_png(image)
    pr = graphgrad("predict", str(run), str(image))
    assert pr.returncode == 0, pr.stderr
    assert str(image) in pr.stdout


def _write_digit_png(path):
    import numpy as np
    from PIL import Image

    from graphgrad.vision.datasets import MNISTSample

    image, _ = MNISTSample(train=False)[0]
    Image.fromarray(np.asarray(image).reshape(28, 28).astype(np.uint8)).save(path)


def test_summary_command():
    result = graphgrad("summary", "lenet5")
    assert result.returncode == 0, result.stderr
    assert "Total params: 61,706" in result.stdout


def test_python_dash_m_works():
    result = subprocess.run([sys.executable, "-m", "graphgrad", "list"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "mnist-cnn" in result.stdout


def test_the_seed_fixes_the_whole_run(tmp_path):
    """Same config, same seed: the same initial weights, batches and final metrics."""
    metrics = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = graphgrad("run", "mnist-cnn", "--epochs", "1", "--set",
                           "model_args={\"channels\": [4, 8], \"hidden\": 16}", "--out", str(out),
                           "--quiet")
        assert result.returncode == 0, result.stderr
        (run,) = out.iterdir()
        metrics.append(json.loads((run / "test_metrics.json").read_text()))
        metrics[-1].pop("train_time_s")
    assert metrics[0] == metrics[1]
