"""The seeing-inside recipes run from the command line on tiny settings of the embedded data and
write their plots, report.md (with the headline numbers) and results."""
import json
import shutil
import subprocess
import sys

import pytest

EXE = shutil.which("graphgrad")


def graphgrad(*args, timeout=600):
    cmd = [EXE] if EXE else [sys.executable, "-m", "graphgrad"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout)


def run(tmp_path, recipe, *settings):
    args = ["run", recipe, "--out", str(tmp_path), "--quiet"]
    for s in settings:
        args += ["--set", s]
    result = graphgrad(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith(recipe + "-")]
    report = (folder / "report.md").read_text()
    assert report.startswith(f"# Run report: {recipe}")
    return folder, report, result.stdout


def png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


TINY = ("train_limit=300", "test_limit=100")


def test_vanishing_gradients(tmp_path):
    folder, report, _ = run(tmp_path, "vanishing-gradients", *TINY, "epochs=1", "depth=4",
                            "width=16")
    for name in ("gradient_profiles", "gradient_profiles_mean", "gradients_sigmoid",
                 "gradients_tanh", "gradients_relu"):
        assert png(folder / "plots" / f"{name}.png"), name
    results = json.loads((folder / "results.json").read_text())
    first = results["sigmoid"]["first_step"]
    layers = list(first)
    # sigmoid's derivative is at most 1/4: the first layer's gradient is far below the last's
    assert first[layers[0]] < 0.05 * first[layers[-1]]
    assert "| sigmoid |" in report and "| relu |" in report
    assert (folder / "sigmoid" / "diagnostics.jsonl").exists()


def test_inspect_cnn(tmp_path):
    folder, report, _ = run(tmp_path, "inspect-cnn", *TINY, "epochs=1", "channels=[4, 8]",
                            "hidden=16", "embed=pca", "embed_points=50")
    for name in ("gradients", "filters", "feature_maps", "saliency", "top_patches", "embedding"):
        assert png(folder / "plots" / f"{name}.png"), name
    assert (folder / "graph.dot").read_text().startswith("digraph")
    assert "test accuracy" in report and "| features.3 | Conv2d | 8x8 | 2 | 14x14 |" in report


def test_search_mlp(tmp_path):
    folder, report, _ = run(tmp_path, "search-mlp", *TINY, "trials=2", "epochs=1",
                            "hidden_sizes=[[16], [32]]")
    lines = (folder / "search.csv").read_text().splitlines()
    assert lines[0].startswith("trial,hidden_sizes,lr,dropout,score") and len(lines) == 3
    assert "test accuracy of the best configuration" in report
    assert png(folder / "plots" / "search.png")


def test_cv_logreg(tmp_path):
    folder, report, _ = run(tmp_path, "cv-logreg", "train_limit=100", "test_limit=100", "epochs=2",
                            "folds=3", "weight_decays=[0.0, 0.01]")
    results = json.loads((folder / "results.json").read_text())
    means = {w: v["mean"] for w, v in results["cv"].items()}
    assert str(results["best_weight_decay"]) in means
    assert means[str(results["best_weight_decay"])] == max(means.values())
    assert len(results["cv"]["0.0"]["scores"]) == 3
    assert "chosen weight decay" in report and png(folder / "plots" / "cv.png")


def test_transfer_digits(tmp_path):
    folder, report, _ = run(tmp_path, "transfer-digits", "train_limit=600", "test_limit=200",
                            "shots=[5, 10]", "steps=5", "pretrain_epochs=1", "channels=[4, 8]",
                            "hidden=16")
    results = json.loads((folder / "results.json").read_text())
    assert set(results["results"]) == {"5", "10"}
    assert set(results["results"]["5"]) == {"new head, frozen conv features",
                                            "fine-tune all (head lr, lower layers finetune_lr)",
                                            "from scratch"}
    assert "| 10 |" in report and png(folder / "plots" / "transfer.png")


def test_few_shot_prototypes(tmp_path):
    folder, report, _ = run(tmp_path, "few-shot-prototypes", "train_limit=600", "test_limit=200",
                            "shots=[1, 5]", "episodes=3", "pretrain_epochs=1", "channels=[4, 8]",
                            "hidden=16", "class_embeddings=attributes")
    results = json.loads((folder / "results.json").read_text())
    assert set(results["few_shot"]) == {"1", "5"}
    assert set(results["few_shot"]) == set(results["raw_pixels"])
    assert list(results["zero_shot"]) == ["attributes"]
    assert 0.0 <= results["zero_shot"]["attributes"]["accuracy"] <= 1.0
    assert "Zero-shot (ConSE" in report and "raw pixels" in report
    assert png(folder / "plots" / "few_shot.png")


def test_metric_mnist(tmp_path):
    folder, report, _ = run(tmp_path, "metric-mnist", *TINY, "steps=5", "batch_size=16",
                            "channels=[4, 8]", "hidden=16")
    results = json.loads((folder / "results.json").read_text())
    assert set(results) == {"contrastive", "triplet"}
    assert all(0.0 <= r["nn_accuracy"] <= 1.0 for r in results.values())
    assert png(folder / "plots" / "embedding_contrastive.png")
    assert png(folder / "plots" / "embedding_triplet.png")
    assert "1-NN test accuracy" in report


def test_adversarial_mnist(tmp_path):
    # enough training (1200 digits, 2 epochs) that the clean model is well above chance, so that
    # "the attack hurts" is a real claim (the recipe seeds the initial weights: deterministic)
    folder, report, _ = run(tmp_path, "adversarial-mnist", "epochs=2", "train_limit=1200",
                            "test_limit=100", 'model_args={"channels": [4, 8], "hidden": 16}',
                            "eps=[0.0, 0.1, 0.3]", "pgd_eps=[0.1]", "pgd_steps=2", "pgd_limit=50")
    results = json.loads((folder / "results.json").read_text())
    assert set(results) == {"standard", "adversarial"}
    fgsm = results["standard"]["fgsm"]
    assert fgsm["0.0"] > 0.5, fgsm
    assert fgsm["0.3"] < fgsm["0.0"] - 0.3, fgsm  # the attack hurts
    assert png(folder / "plots" / "accuracy_vs_epsilon.png")
    assert png(folder / "plots" / "adversarial_examples.png")
    assert "FGSM at eps 0.1" in report
    assert "FGSM takes the standard model below 50% accuracy at eps" in report
    assert (folder / "standard" / "report.md").exists()
    assert (folder / "adversarial" / "checkpoint.npz").exists()


def test_eps_at_accuracy_interpolates_the_first_crossing():
    from graphgrad.recipes.adversarial import eps_at_accuracy

    assert eps_at_accuracy({0.0: 0.98, 0.1: 0.8, 0.2: 0.4, 0.3: 0.1}) == pytest.approx(0.175)
    assert eps_at_accuracy({0.0: 0.98, 0.1: 0.9}) is None
    assert eps_at_accuracy({0.0: 0.3, 0.1: 0.1}) == 0.0


def test_bad_setting_is_one_line(tmp_path):
    result = graphgrad("run", "search-mlp", "--out", str(tmp_path), "--set", "method=bayes")
    assert result.returncode == 2 and "method must be random or grid" in result.stderr
    assert "Traceback" not in result.stderr
