"""Recipe ``adversarial-mnist``: attack a trained CNN with FGSM and PGD, plot accuracy against the
perturbation size epsilon (in pixel units, pixels in [0, 1]), show originals, perturbations and
adversarial images side by side; then train the same CNN adversarially (half of every batch replaced
by FGSM examples against the current weights) and draw the same curves."""
from __future__ import annotations

import os

import numpy as np

from .. import manual_seed
from ..attacks import AdversarialBatch, fgsm, pgd
from ..train import RunDir
from ..viz import image_grid
from ..viz._figure import pyplot
from .classification import train_classifier
from .common import close, finish_plot, predict, save_json, start_run, write_report
from .registry import RecipeError, register
from .vision import BASE
from .vision_data import MNIST_STD, dataset_arrays, load_vision_data, pixel_bounds
from .zoo import build_model

# A smaller CNN than mnist-cnn's by default, so that both trainings and the attacks take a few
# minutes; --set from_run=RUN_DIR attacks a finished mnist-cnn run (and trains its architecture).
ADVERSARIAL = dict(BASE, model="simple_cnn", model_args={"channels": [16, 32], "hidden": 64},
                   epochs=3, lr=0.05, from_run=None,
                   eps=[0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3], pgd_eps=[0.05, 0.1, 0.2, 0.3],
                   pgd_steps=5, pgd_limit=200, train_limit=None, test_limit=500, train_eps=0.15,
                   adversarial_fraction=0.5, adversarial_training=True)


def _predict(model, x) -> np.ndarray:
    return predict(model, x).argmax(1)


def attack_curves(model, x, y, config: dict, log) -> dict:
    """``{"fgsm": {eps: acc}, "pgd": {eps: acc}}`` with eps in pixel units."""
    bounds = pixel_bounds()
    scale = 1.0 / MNIST_STD[0]  # pixel units -> normalised units
    curves = {"fgsm": {}, "pgd": {}}
    for e in config["eps"]:
        adv = x if e == 0 else np.concatenate([
            fgsm(model, x[i:i + 500], y[i:i + 500], e * scale, clamp=bounds).numpy()
            for i in range(0, len(x), 500)])
        curves["fgsm"][float(e)] = float((_predict(model, adv) == y).mean())
        log(f"  FGSM eps {e:g}: accuracy {curves['fgsm'][float(e)]:.4f}")
    n = min(len(x), int(config["pgd_limit"]))
    pick = np.sort(np.random.default_rng(0).permutation(len(x))[:n])  # test sets may be sorted
    xp, yp = x[pick], y[pick]
    for e in config["pgd_eps"]:
        adv = pgd(model, xp, yp, e * scale, steps=config["pgd_steps"], clamp=bounds).numpy()
        curves["pgd"][float(e)] = float((_predict(model, adv) == yp).mean())
        log(f"  PGD-{config['pgd_steps']} eps {e:g} ({n} images): accuracy "
            f"{curves['pgd'][float(e)]:.4f}")
    curves["pgd_clean"] = float((_predict(model, xp) == yp).mean())
    return curves


def eps_at_accuracy(curve: dict, level: float = 0.5):
    """The smallest eps at which ``curve`` ({eps: accuracy}) reaches ``level``, interpolated
    linearly between the measured points; None if it stays above ``level``."""
    points = sorted(curve.items())
    for (e0, a0), (e1, a1) in zip(points, points[1:]):
        if a1 <= level < a0:
            return e0 + (e1 - e0) * (a0 - level) / (a0 - a1)
    return points[0][0] if points and points[0][1] <= level else None


def _show_examples(model, x, y, eps: float, path: str) -> None:
    bounds = pixel_bounds()
    picks = [int(np.flatnonzero(y == c)[0]) for c in np.unique(y)[:8]]
    xs, ys = x[picks], y[picks]
    adv = fgsm(model, xs, ys, eps / MNIST_STD[0], clamp=bounds).numpy()
    p_clean, p_adv = _predict(model, xs), _predict(model, adv)
    images = list(xs) + list(adv - xs) + list(adv)
    titles = ([f"label {t}, pred {p}" for t, p in zip(ys, p_clean)]
              + [f"perturbation {eps:g}" for _ in ys] + [f"adv. pred {p}" for p in p_adv])
    close(image_grid(images, titles, ncols=len(picks), path=path,
                     title=f"FGSM, eps {eps:g}: originals, perturbations (sign pattern), adversarial"))


@register("adversarial-mnist", "FGSM/PGD attacks on the MNIST CNN: accuracy against epsilon, "
          "examples, then adversarial training and the same curves", ADVERSARIAL)
def run(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    start_run(config, run_dir, resume, several=True)
    log = (lambda s: print(s, flush=True)) if progress else (lambda s: None)
    models, data, source = _train_models(config, run_dir, resume, progress)
    x, y = dataset_arrays(data.test, config.get("test_limit"))
    curves = {}
    for name, m in models.items():
        log(f"attacking the {name} model on {len(x)} test images")
        curves[name] = attack_curves(m, x, y, config, log)
    _show_examples(models["standard"], x, y, 0.1 if 0.1 in config["eps"] else max(config["eps"]),
                   os.path.join(run_dir.plots, "adversarial_examples.png"))
    _plot_curves(curves, config, os.path.join(run_dir.plots, "accuracy_vs_epsilon.png"))
    report = write_report(run_dir, config["recipe"], _lines(curves, config, source, len(x)), config)
    print(f"report: {report}", flush=True)
    save_json(run_dir, "results.json",
              {n: {k: ({str(e): v for e, v in c.items()} if isinstance(c, dict) else c)
                   for k, c in cv.items()} for n, cv in curves.items()})
    return curves


def _train_models(config, run_dir, resume: bool, progress: bool):
    """The standard model (trained in ``standard/``, or a finished run's with ``from_run``) and,
    with ``adversarial_training``, the adversarially trained one (``adversarial/``); returns
    (models by name, the data, a sentence saying where the standard model comes from)."""
    models = {}
    if config["from_run"]:
        from .runs import _load_trained

        _, trained_config, model, data = _load_trained(config["from_run"])
        if trained_config.get("dataset") != "mnist":
            raise RecipeError(f"from_run: {config['from_run']} is not an MNIST run")
        models["standard"] = model
        model_args = dict(trained_config.get("model_args") or {})
        source = f"the trained run {config['from_run']} ({trained_config['recipe']})"
    else:
        data = load_vision_data(config)
        if config.get("train_limit"):
            from ..utils.data import Subset

            keep = np.random.default_rng(0).permutation(len(data.train))[:int(config["train_limit"])]
            data.train = Subset(data.train, sorted(keep.tolist()))
            data.description += f" (training limited to {len(data.train)})"
        model_args = dict(config.get("model_args") or {})
        models["standard"] = _train(config, run_dir, "standard", model_args, data, None, resume,
                                    progress)
        source = (f"a SimpleCNN {model_args} trained here for {config['epochs']} epochs with "
                  "mnist-cnn's other settings (subfolder standard/)")
    if config["adversarial_training"]:
        print(f"adversarial training: FGSM eps {config['train_eps']} on "
              f"{100 * config['adversarial_fraction']:.0f}% of every batch", flush=True)
        models["adversarial"] = _train(config, run_dir, "adversarial", model_args, data,
                                       config["train_eps"], resume, progress)
    return models, data, source


def _train(config, run_dir, name: str, model_args: dict, data, eps, resume: bool, progress: bool):
    """mnist-cnn's training of a SimpleCNN in the subfolder ``name``; with ``eps``, part of every
    batch replaced by FGSM examples against the current weights."""
    manual_seed(config["seed"])  # the initial weights are part of the run's configuration
    model = build_model("simple_cnn", **model_args)
    mix = None if eps is None else AdversarialBatch(model, fgsm, eps / MNIST_STD[0],
                                                    fraction=config["adversarial_fraction"],
                                                    clamp=pixel_bounds())
    train_classifier(dict(config, recipe=f"{config['recipe']}/{name}"),
                     RunDir(os.path.join(run_dir.path, name)), model, data, mixup=mix,
                     resume=resume, progress=progress)
    return model


def _plot_curves(curves: dict, config: dict, path: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, c in curves.items():
        style = "-" if name == "standard" else "--"
        ax.plot(list(c["fgsm"]), [100 * v for v in c["fgsm"].values()], style, marker="o",
                label=f"{name} model, FGSM")
        ax.plot([0.0] + list(c["pgd"]), [100 * c["pgd_clean"]] +
                [100 * v for v in c["pgd"].values()], style, marker="s",
                label=f"{name} model, PGD-{config['pgd_steps']}")
    finish_plot(fig, ax, path, "epsilon (L-inf, pixel units)", "test accuracy (%)",
                "Accuracy under attack", title_size=10, legend_size=8)


def _lines(curves: dict, config: dict, source: str, n_test: int) -> list:
    names = list(curves)
    lines = [f"- attacked model: {source}",
             f"- test images: {n_test} (FGSM), {min(n_test, config['pgd_limit'])} (PGD-"
             f"{config['pgd_steps']}, random start, step 2.5 eps / steps)"]
    if 0.1 in curves["standard"]["fgsm"]:
        lines.append(f"- **FGSM at eps 0.1: standard model "
                     f"{100 * curves['standard']['fgsm'][0.1]:.2f}%**" +
                     (f", adversarially trained model {100 * curves['adversarial']['fgsm'][0.1]:.2f}%"
                      if "adversarial" in curves else "") +
                     f" (clean {100 * curves['standard']['fgsm'].get(0.0, float('nan')):.2f}%)")
    for name, c in curves.items():
        half = eps_at_accuracy(c["fgsm"])
        lines.append(f"- FGSM takes the {name} model below 50% accuracy at eps " +
                     (f"~{half:.3f} (interpolated)" if half is not None
                      else f"> {max(c['fgsm']):g} (not within the measured range)"))
    lines += ["", "| attack | eps | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for kind in ("fgsm", "pgd"):
        if kind == "pgd":
            lines.append("| none (PGD's images) | 0 | " + " | ".join(
                f"{100 * curves[n]['pgd_clean']:.2f}%" for n in names) + " |")
        for e in curves["standard"][kind]:
            lines.append(f"| {kind.upper()} | {e:g} | " +
                         " | ".join(f"{100 * curves[n][kind][e]:.2f}%" for n in names) + " |")
    return lines + ["", "![accuracy vs epsilon](plots/accuracy_vs_epsilon.png)", "",
                    "![examples](plots/adversarial_examples.png)"]
