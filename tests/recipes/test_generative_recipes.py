"""The generative recipes from the command line, on tiny settings (a few steps of small networks on
a few hundred digits): losses finite, every file written, ``graphgrad generate`` and ``--resume``."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

EXE = shutil.which("graphgrad")
PNG = b"\x89PNG\r\n\x1a\n"
TINY = ["--set", "limit=128", "--set", "classifier_epochs=1", "--set", "score_samples=40",
        "--batch-size", "32", "--quiet"]
SMALL = {
    "autoencoder-mnist": ["--set", "hidden_sizes=[32]"],
    "vae-mnist": ["--set", "hidden_sizes=[32]"],
    "gan-mnist": ["--set", "g_hidden=[32]", "--set", "d_hidden=[32]"],
    "dcgan-mnist": ["--set", "channels=4", "--set", "fc_hidden=16"],
}
PLOTS = {
    "autoencoder-mnist": ["reconstructions.png", "latent.png", "loss.png"],
    "vae-mnist": ["reconstructions.png", "latent.png", "elbo.png", "samples.png", "interpolations.png",
                  "samples.gif", "samples/epoch_001.png", "samples/epoch_002.png"],
    "gan-mnist": ["samples.png", "samples.gif", "losses.png", "samples/epoch_001.png",
                  "samples/epoch_002.png"],
    "dcgan-mnist": ["samples.png", "samples.gif", "losses.png", "samples/epoch_001.png",
                    "samples/epoch_002.png"],
}
LOSS_KEYS = {"autoencoder-mnist": ["train_loss", "val_loss"],
             "vae-mnist": ["train_loss", "train_recon", "train_kl", "val_loss", "val_kl"],
             "gan-mnist": ["d_loss", "g_loss", "d_real", "d_fake"],
             "dcgan-mnist": ["d_loss", "g_loss", "d_real", "d_fake"]}


def graphgrad(*args, timeout=600):
    cmd = [EXE] if EXE else [sys.executable, "-m", "graphgrad"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout, env=env)


def _run(recipe, tmp_path, *extra):
    result = graphgrad("run", recipe, "--epochs", "2", "--out", str(tmp_path), *TINY, *SMALL[recipe],
                       *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = [p for p in tmp_path.iterdir() if p.name.startswith(recipe + "-")]
    return run, result


@pytest.mark.parametrize("recipe", sorted(SMALL))
def test_recipe_runs_on_tiny_settings(recipe, tmp_path):
    run, result = _run(recipe, tmp_path)
    for name in ("config.json", "metrics.jsonl", "checkpoint.npz", "report.md"):
        assert (run / name).exists(), name
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    for key in LOSS_KEYS[recipe]:
        assert all(isinstance(r[key], float) and abs(r[key]) < 1e6 for r in rows), key
    for plot in PLOTS[recipe]:
        data = (run / "plots" / plot).read_bytes()
        assert data[:8] == PNG or data[:6] == b"GIF89a", plot
    report = (run / "report.md").read_text()
    assert f"# Run report: {recipe}" in report
    if recipe != "autoencoder-mnist":
        quality = json.loads((run / "sample_quality.json").read_text())
        assert quality["samples"]["n"] == 40
        assert 0.0 <= quality["samples"]["confident_fraction"] <= 1.0
        assert "trained on the spot" in quality["classifier"]
        assert "sample quality:" in result.stdout and "Sample quality" in report


def test_generate_writes_a_grid_and_resume_continues(tmp_path):
    run, _ = _run("dcgan-mnist", tmp_path)
    out = tmp_path / "grid.png"
    result = graphgrad("generate", str(run), "-n", "16", "--out", str(out), "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == PNG and "wrote 16 samples" in result.stdout
    result = graphgrad("generate", str(run), "-n", "64")
    assert result.returncode == 0, result.stderr
    assert (run / "plots" / "generated.png").read_bytes()[:8] == PNG
    result = graphgrad("run", "--resume", str(run), "--epochs", "3", "--quiet", "dcgan-mnist")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = (run / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 3 and (run / "plots" / "samples" / "epoch_003.png").exists()


def test_dcgan_discriminator_options(tmp_path):
    run, result = _run("dcgan-mnist", tmp_path, "--set", "d_spectral_norm=true", "--set",
                       "d_batch_norm=false", "--set", "d_lr=0.001", "--set", "lr_decay=0.5")
    assert "Adam(lr 0.0002, discriminator lr 0.001" in result.stdout
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in rows)
    result = graphgrad("generate", str(run), "-n", "4")  # the checkpoint loads into the same model
    assert result.returncode == 0, result.stderr[-3000:]


def test_sample_quality_curve_during_training_leaves_the_run_unchanged(tmp_path, tiny_classifier):
    # loading the classifier builds a network, which draws from the random stream
    clf = f"classifier={tiny_classifier}"
    plain, _ = _run("dcgan-mnist", tmp_path / "plain", "--set", clf)
    curve, _ = _run("dcgan-mnist", tmp_path / "curve", "--set", clf, "--set", "score_every=1")
    rows = [json.loads(line) for line in (curve / "metrics.jsonl").read_text().splitlines()]
    assert all(0.0 <= r["sample_confident"] <= 1.0 and 0 <= r["sample_classes"] <= 10 for r in rows)
    assert "Confident fraction of fresh samples during training" in (curve / "report.md").read_text()
    assert (curve / "plots" / "sample_quality.png").read_bytes()[:8] == PNG
    assert not (plain / "plots" / "sample_quality.png").exists()
    plain_rows = [json.loads(line) for line in (plain / "metrics.jsonl").read_text().splitlines()]
    assert [r["d_loss"] for r in rows] == [r["d_loss"] for r in plain_rows]  # same random stream


def test_linear_learning_rate_decay_over_the_last_epochs():
    from graphgrad import nn, optim
    from graphgrad.recipes.generative import _LinearLrDecay

    opts = [optim.Adam(nn.Linear(2, 1).parameters(), lr=1e-3),
            optim.SGD(nn.Linear(2, 1).parameters(), lr=0.5)]
    decay = _LinearLrDecay(opts, epochs=10, decay_epochs=4)
    seen = []
    for epoch in range(1, 11):
        decay.on_epoch_start(None, epoch)
        seen.append([o.param_groups[0]["lr"] for o in opts])
    np.testing.assert_allclose(np.array(seen) / [1e-3, 0.5],
                               [[1, 1]] * 7 + [[0.75, 0.75], [0.5, 0.5], [0.25, 0.25]])


def test_generate_refuses_what_it_cannot_sample(tmp_path):
    result = graphgrad("generate", str(tmp_path / "nope"))
    assert result.returncode == 2 and "no such run folder" in result.stderr
    run, _ = _run("autoencoder-mnist", tmp_path)
    result = graphgrad("generate", str(run))
    assert result.returncode == 2 and "is a run of autoencoder-mnist" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    """A finished (one epoch, tiny network) mnist-cnn run folder."""
    out = tmp_path_factory.mktemp("clf")
    clf = graphgrad("run", "mnist-cnn", "--epochs", "1", "--set", "val_fraction=0", "--set",
                    'model_args={"channels": [4, 8], "hidden": 16}', "--out", str(out), "--quiet")
    assert clf.returncode == 0, clf.stderr[-3000:]
    (run,) = out.iterdir()
    return run


def test_a_finished_mnist_cnn_run_scores_the_samples(tmp_path, tiny_classifier):
    clf_run = tiny_classifier
    run, result = _run("vae-mnist", tmp_path / "vae", "--set", f"classifier={clf_run}")
    quality = json.loads((run / "sample_quality.json").read_text())
    assert "mnist-cnn" in quality["classifier"] and str(clf_run) in quality["classifier"]
    assert "training the scoring classifier" not in result.stdout
