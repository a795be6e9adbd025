"""Model-selection recipes: choose hyper-parameters on held-out data, never on the test set.

``search-mlp``: random (or grid) search over the MLP's width/depth, learning rate and dropout; each
trial trains on the training split and is scored on the validation split; the table goes to
``search.csv``; the best configuration is retrained on training + validation data and only then
evaluated on the test set.

``cv-logreg``: 5-fold cross-validation of logistic regression's L2 penalty (weight decay) on a small
training set, the setting where one validation split is too noisy; the best penalty is retrained on
the whole training set and tested.
"""
from __future__ import annotations

import os

import numpy as np

from .. import manual_seed, optim
from ..models import MLP, LogisticRegression
from ..train import atomic_write_text, cross_validate, evaluate, fit_classifier
from ..train.search import LogUniform, grid_search, random_search
from ..utils.data import DataLoader
from ..viz._figure import pyplot, save_figure
from .common import close, finish_plot, refuse_resume, save_json, start_run, write_report
from .registry import RecipeError, register
from .vision_data import DATA, tensor_dataset, vision_arrays

SEARCH = dict(DATA, method="random", trials=8, epochs=4, batch_size=64,
              hidden_sizes=[[64], [256], [256, 128]], lr=[0.003, 0.3], dropout=[0.0, 0.2, 0.4],
              train_limit=None, test_limit=None)


def _space(config: dict) -> dict:
    lr = config["lr"]
    if config["method"] == "random":
        if not (isinstance(lr, list) and len(lr) == 2):
            raise RecipeError("search-mlp: with method=random, lr is a range [low, high]")
        lr_space = LogUniform(float(lr[0]), float(lr[1]))
    elif config["method"] == "grid":
        lr_space = list(lr) if isinstance(lr, list) else [lr]
    else:
        raise RecipeError(f"search-mlp: method must be random or grid, got {config['method']!r}")
    return {"hidden_sizes": [tuple(h) for h in config["hidden_sizes"]], "lr": lr_space,
            "dropout": list(config["dropout"])}


@register("search-mlp", "random/grid search of the MLP's size, learning rate and dropout on the "
          "validation split; search.csv; best retrained and tested", SEARCH)
def run_search(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    refuse_resume(config, resume, "its trials are short trainings that keep no checkpoints")
    start_run(config, run_dir, resume)
    a = vision_arrays(config)
    if len(a["x_val"]) == 0:
        raise RecipeError("search-mlp needs a validation split (val_fraction > 0)")
    in_features, n_classes = int(np.prod(a["input_size"])), len(a["classes"])
    train, val = tensor_dataset(a["x_train"], a["y_train"]), tensor_dataset(a["x_val"], a["y_val"])
    print(f"run folder: {run_dir.path}\ndata: {a['description']}", flush=True)

    def build(p):
        manual_seed(config["seed"])
        model = MLP(in_features, list(p["hidden_sizes"]), n_classes, dropout=p["dropout"])
        return model, optim.SGD(model.parameters(), lr=p["lr"], momentum=0.9)

    def objective(p):
        model, opt = build(p)
        out = fit_classifier(model, opt, train, val, epochs=config["epochs"],
                             batch_size=config["batch_size"], seed=config["seed"])
        return {"score": out["score"], "val_loss": out["val_loss"], "train_acc": out["train_acc"]}

    def retrain(p):  # the chosen configuration, on training + validation data
        model, opt = build(p)
        both = tensor_dataset(np.concatenate([a["x_train"], a["x_val"]]),
                              np.concatenate([a["y_train"], a["y_val"]]))
        fit_classifier(model, opt, both, None, epochs=config["epochs"],
                       batch_size=config["batch_size"], seed=config["seed"])
        return model

    csv_path = run_dir.file("search.csv")
    space = _space(config)
    if config["method"] == "random":
        result = random_search(objective, space, config["trials"], seed=config["seed"],
                               csv_path=csv_path, retrain=retrain, progress=progress)
    else:
        result = grid_search(objective, space, csv_path=csv_path, retrain=retrain, progress=progress)
    test = evaluate(result.best_model, DataLoader(tensor_dataset(a["x_test"], a["y_test"]),
                                                  batch_size=512))["accuracy"]
    best = result.best_params
    fig = _plot_trials(result, os.path.join(run_dir.plots, "search.png"))
    close(fig)
    lines = [f"- data: {a['description']}",
             f"- {config['method']} search, {len(result.trials)} trials of {config['epochs']} epochs; "
             "score = validation accuracy",
             f"- best: hidden {list(best['hidden_sizes'])}, lr {best['lr']:.4g}, dropout "
             f"{best['dropout']} (validation accuracy {100 * result.best_score:.2f}%)",
             f"- **test accuracy of the best configuration, retrained on train + validation: "
             f"{100 * test:.2f}%**", "", "## Trials (best first)", "", result.table(),
             "![search](plots/search.png)"]
    print(f"best {best}: validation {result.best_score:.4f}, test {test:.4f}; report: "
          f"{write_report(run_dir, config['recipe'], lines, config)}", flush=True)
    save_json(run_dir, "results.json",
              {"best_params": {**best, "hidden_sizes": list(best["hidden_sizes"])},
               "best_val_accuracy": result.best_score, "test_accuracy": test})
    return {"best_params": best, "best_val_accuracy": result.best_score, "test_accuracy": test,
            "trials": result.trials}


def _plot_trials(result, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = sorted({str(list(t["params"]["hidden_sizes"])) for t in result.trials})
    for s in sizes:
        ts = [t for t in result.trials if str(list(t["params"]["hidden_sizes"])) == s]
        ax.scatter([t["params"]["lr"] for t in ts], [t["score"] for t in ts], label=f"hidden {s}",
                   s=[20 + 80 * t["params"]["dropout"] for t in ts])
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Search trials (marker size: dropout)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    save_figure(fig, path)
    return fig


# ------------------------------------------------------------------------- cv-logreg
CV = dict(DATA, folds=5, weight_decays=[0.0, 1e-4, 1e-3, 1e-2, 1e-1], epochs=10, batch_size=32,
          lr=0.05, train_limit=500, test_limit=None)


@register("cv-logreg", "5-fold cross-validation of logistic regression's weight decay on a small "
          "training set; best retrained and tested", CV)
def run_cv(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    refuse_resume(config, resume, "its folds are short trainings that keep no checkpoints")
    start_run(config, run_dir, resume)
    a = vision_arrays(config)
    in_features, n_classes = int(np.prod(a["input_size"])), len(a["classes"])
    data = tensor_dataset(a["x_train"], a["y_train"])
    print(f"run folder: {run_dir.path}\ndata: {a['description']}", flush=True)

    def fit(wd, train, val):
        manual_seed(config["seed"])
        model = LogisticRegression(in_features, n_classes)
        opt = optim.SGD(model.parameters(), lr=config["lr"], weight_decay=wd)
        out = fit_classifier(model, opt, train, val, epochs=config["epochs"],
                             batch_size=config["batch_size"], seed=config["seed"])
        return out, model

    cv = {}
    for wd in config["weight_decays"]:
        cv[wd] = cross_validate(lambda tr, va, wd=wd: fit(wd, tr, va)[0]["score"], data,
                                k=config["folds"], seed=config["seed"])
        if progress:
            print(f"weight decay {wd:g}: {config['folds']}-fold accuracy {cv[wd]['mean']:.4f} "
                  f"+- {cv[wd]['std']:.4f}", flush=True)
    best = max(cv, key=lambda w: cv[w]["mean"])  # the first of equal means wins
    _, model = fit(best, data, None)
    test_loader = DataLoader(tensor_dataset(a["x_test"], a["y_test"]), batch_size=512)
    test = evaluate(model, test_loader)["accuracy"]
    tests = {}
    for wd in config["weight_decays"]:  # for the report only: choosing by these would be cheating
        tests[wd] = evaluate(fit(wd, data, None)[1], test_loader)["accuracy"]
    wds = list(cv)
    _plot_cv(cv, tests, config, len(data), os.path.join(run_dir.plots, "cv.png"))
    rows = [{"weight_decay": w, **{f"fold{i + 1}": s for i, s in enumerate(cv[w]["scores"])},
             "mean": cv[w]["mean"], "std": cv[w]["std"], "test": tests[w]} for w in wds]
    header = list(rows[0])
    atomic_write_text(run_dir.file("cv.csv"), ",".join(header) + "\n" + "".join(
        ",".join(f"{r[h]:.6g}" for h in header) + "\n" for r in rows))
    lines = [f"- data: {a['description']}",
             f"- logistic regression, SGD lr {config['lr']}, {config['epochs']} epochs per fit",
             f"- chosen weight decay: **{best:g}** ({config['folds']}-fold accuracy "
             f"{100 * cv[best]['mean']:.2f}% +- {100 * cv[best]['std']:.2f})",
             f"- **test accuracy, retrained on all {len(data)} training images: {100 * test:.2f}%**",
             "", "| weight decay | CV mean | CV std | test (not used to choose) |", "|---|---|---|---|"]
    lines += [f"| {w:g} | {100 * cv[w]['mean']:.2f}% | {100 * cv[w]['std']:.2f} | "
              f"{100 * tests[w]:.2f}% |" for w in wds]
    lines += ["", "![cv](plots/cv.png)"]
    print(f"chosen weight decay {best:g}: CV {cv[best]['mean']:.4f}, test {test:.4f}; report: "
          f"{write_report(run_dir, config['recipe'], lines, config)}", flush=True)
    save_json(run_dir, "results.json", {"best_weight_decay": best, "cv": {str(w): cv[w] for w in wds},
                                        "test_accuracy": test})
    return {"best_weight_decay": best, "cv": cv, "test_accuracy": test}


def _plot_cv(cv: dict, tests: dict, config: dict, n: int, path: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    wds = list(cv)
    xs = [w if w > 0 else min([v for v in wds if v > 0], default=1e-5) / 10 for w in wds]
    ax.errorbar(xs, [cv[w]["mean"] for w in wds], [cv[w]["std"] for w in wds], marker="o",
                capsize=3, label=f"{config['folds']}-fold CV accuracy (mean, std)")
    ax.plot(xs, [tests[w] for w in wds], marker="s", linestyle="--", label="test accuracy")
    ax.set_xscale("log")
    finish_plot(fig, ax, path, "weight decay (leftmost point: 0)", "accuracy",
                f"Logistic regression on {n} training images", title_size=10, legend_size=8)
