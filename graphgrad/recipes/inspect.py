"""Recipes that look inside networks.

``vanishing-gradients``: the same deep MLP with sigmoid, tanh and ReLU, trained identically with the
gradient-diagnostics callback; the per-layer gradient norms side by side show the lectures' point
that saturating activations starve the early layers.

``inspect-cnn``: train the lectures' CNN briefly, then draw what it learned: first-layer filters,
every conv layer's feature maps for one digit, saliency maps, the receptive-field patches that excite
chosen channels most, a 2-D embedding of the hidden layer, and the computation graph.

Also the shared helpers of the ``Seeing inside`` recipes: image arrays from the vision datasets and a
few lines of report writing.
"""
from __future__ import annotations

import json
import os
import time

import numpy as np

from .. import manual_seed, nn, optim, tensor
from ..models import MLP, SimpleCNN
from ..train import GradientDiagnostics, RunDir, Trainer, atomic_write_text, evaluate
from ..utils.data import DataLoader, TensorDataset
from ..viz._figure import pyplot
from .registry import register
from .vision_data import MNIST_MEAN, MNIST_STD, load_vision_data

DATA = {"dataset": "mnist", "data": None, "val_fraction": 0.1, "seed": 0}


# ------------------------------------------------------------------ shared helpers
def dataset_arrays(dataset, limit: int | None = None):
    """``(x (N, C, H, W) float32, y (N,) int64)`` from a dataset of (image tensor, label); with
    ``limit``, a fixed random subset of that size (test sets may be sorted by class)."""
    index = np.arange(len(dataset))
    if limit is not None and int(limit) < len(dataset):
        index = np.sort(np.random.default_rng(0).permutation(len(dataset))[:int(limit)])
    items = [dataset[int(i)] for i in index]
    x = np.stack([np.asarray(it[0].numpy() if hasattr(it[0], "numpy") else it[0]) for it in items])
    y = np.array([int(it[1]) for it in items], dtype=np.int64)
    return x.astype(np.float32), y


def vision_arrays(config: dict) -> dict:
    """Train/val/test arrays of the recipe's data (normalised), cut to ``train_limit``/
    ``test_limit`` images when those settings are given (tiny runs for tests)."""
    data = load_vision_data({**DATA, **{k: config[k] for k in DATA if k in config}})
    description = data.description
    if config.get("train_limit") or config.get("test_limit"):
        description += (f" (cut to {config.get('train_limit') or 'all'} training and "
                        f"{config.get('test_limit') or 'all'} validation/test images)")
    out = {"classes": data.classes, "description": description, "input_size": data.input_size}
    out["x_train"], out["y_train"] = dataset_arrays(data.train, config.get("train_limit"))
    if data.val is not None:
        out["x_val"], out["y_val"] = dataset_arrays(data.val, config.get("test_limit"))
    else:
        out["x_val"], out["y_val"] = out["x_train"][:0], out["y_train"][:0]
    out["x_test"], out["y_test"] = dataset_arrays(data.test, config.get("test_limit"))
    return out


def tensor_dataset(x, y) -> TensorDataset:
    return TensorDataset(tensor(x), tensor(y))


def pixel_bounds(mean=MNIST_MEAN, std=MNIST_STD) -> tuple:
    """The normalised values of pixels 0 and 1: the valid input range of an attack."""
    return (0.0 - mean[0]) / std[0], (1.0 - mean[0]) / std[0]


def write_report(run_dir, title: str, lines: list, config: dict) -> str:
    """``report.md``: a title, the recipe's own lines, then the settings table."""
    out = [f"# Run report: {title}", ""] + list(lines)
    out += ["", "## Settings", "", "| setting | value |", "|---|---|"]
    out += [f"| {k} | `{json.dumps(v)}` |" for k, v in sorted(config.items())]
    path = run_dir.file("report.md")
    atomic_write_text(path, "\n".join(out) + "\n")
    return path


def close(fig) -> None:
    pyplot().close(fig)


# --------------------------------------------------------------- vanishing-gradients
VANISHING = dict(DATA, activations=["sigmoid", "tanh", "relu"], depth=8, width=64, epochs=2,
                 batch_size=64, lr=0.05, momentum=0.9, every=10, init="glorot-he",
                 train_limit=None, test_limit=None)


def init_for(model, activation: str, scheme: str) -> None:
    """``"glorot-he"``: Glorot (Xavier) uniform weights for sigmoid/tanh and He (Kaiming) normal
    for ReLU, zero biases, the initialisations the lectures pair with each; ``"default"``: keep
    PyTorch's default (Kaiming uniform with a = sqrt(5), which shrinks signals in deep ReLU stacks)."""
    if scheme == "default":
        return
    if scheme != "glorot-he":
        from .registry import RecipeError

        raise RecipeError(f"init must be 'glorot-he' or 'default', got {scheme!r}")
    for m in model.modules():
        if isinstance(m, nn.Linear):
            if activation == "relu":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


@register("vanishing-gradients", "one deep MLP with sigmoid, tanh and ReLU: per-layer gradient "
          "norms side by side (gradient diagnostics)", VANISHING)
def run_vanishing(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    from ..viz import plot_gradient_profiles, plot_gradients

    run_dir.write_config(config)
    arrays = vision_arrays(config)
    train = tensor_dataset(arrays["x_train"], arrays["y_train"])
    test_loader = DataLoader(tensor_dataset(arrays["x_test"], arrays["y_test"]), batch_size=512)
    in_features = int(np.prod(arrays["input_size"]))
    print(f"run folder: {run_dir.path}\ndata: {arrays['description']}", flush=True)
    results, profiles, plots = {}, {}, []
    for act in config["activations"]:
        manual_seed(config["seed"])
        model = MLP(in_features, [config["width"]] * config["depth"], len(arrays["classes"]),
                    activation=act)
        init_for(model, act, config["init"])
        diag = GradientDiagnostics(every=config["every"], warn=False,
                                   run_dir=RunDir(os.path.join(run_dir.path, act)))
        trainer = Trainer(model, nn.CrossEntropyLoss(),
                          optim.SGD(model.parameters(), lr=config["lr"], momentum=config["momentum"]),
                          callbacks=[diag], progress=progress)
        start = time.perf_counter()
        trainer.fit(DataLoader(train, batch_size=config["batch_size"], shuffle=True),
                    epochs=config["epochs"])
        acc = evaluate(model, test_loader)["accuracy"]
        first = diag.records[0]
        linear = [n for n in first["layers"]]  # registration order = input to output
        profiles[act] = {n: first["layers"][n]["grad_norm"] for n in linear}
        mean = diag.summary()
        results[act] = {"test_accuracy": acc, "seconds": time.perf_counter() - start,
                        "first_step": profiles[act],
                        "mean": {n: mean[n]["mean"] for n in linear},
                        "warnings": diag.warnings,
                        "activations": first["activations"]}
        path = os.path.join(run_dir.plots, f"gradients_{act}.png")
        close(plot_gradients(diag, path, title=f"Gradient norms per layer ({act})"))
        plots.append(path)
        print(f"{act}: test accuracy {acc:.4f}; first/last layer gradient norm at step 1: "
              f"{profiles[act][linear[0]]:.3g} / {profiles[act][linear[-1]]:.3g}", flush=True)
    side = os.path.join(run_dir.plots, "gradient_profiles.png")
    close(plot_gradient_profiles(profiles, side, title=f"Gradient norm by layer at step 1 "
                                                       f"(depth {config['depth']} MLP)"))
    mean_profiles = {a: r["mean"] for a, r in results.items()}
    side_mean = os.path.join(run_dir.plots, "gradient_profiles_mean.png")
    close(plot_gradient_profiles(mean_profiles, side_mean,
                                 title="Gradient norm by layer, mean over training"))
    acts = list(results)
    layers = list(next(iter(profiles.values())))
    lines = [f"- data: {arrays['description']}",
             f"- model: MLP with {config['depth']} hidden layers of {config['width']} units, "
             f"SGD lr {config['lr']} momentum {config['momentum']}, {config['epochs']} epochs, "
             f"init {config['init']}", "",
             "| activation | test accuracy | grad norm, layer 1 (step 1) | grad norm, last layer "
             "(step 1) | ratio first/last |", "|---|---|---|---|---|"]
    for a in acts:
        p = profiles[a]
        lines.append(f"| {a} | **{100 * results[a]['test_accuracy']:.2f}%** | {p[layers[0]]:.3g} | "
                     f"{p[layers[-1]]:.3g} | {p[layers[0]] / max(p[layers[-1]], 1e-30):.3g} |")
    lines += ["", "## Gradient norm per layer at the first step", "",
              "| layer | " + " | ".join(acts) + " |", "|---|" + "---|" * len(acts)]
    for n in layers:
        lines.append(f"| {n} | " + " | ".join(f"{profiles[a][n]:.3g}" for a in acts) + " |")
    lines += ["", "Saturated (sigmoid/tanh) or dead (ReLU) fraction per activation layer at step 1:",
              ""]
    for a in acts:
        vals = [v.get("saturated", v.get("dead")) for v in results[a]["activations"].values()]
        lines.append(f"- {a}: " + ", ".join(f"{v:.2f}" for v in vals))
    lines += ["", "Warnings (the callback names the layer):", ""]
    lines += [f"- {a}: {w}" for a in acts for w in results[a]["warnings"][:3]] or ["- none"]
    lines += ["", "![profiles](plots/gradient_profiles.png)", "",
              "![profiles, mean](plots/gradient_profiles_mean.png)", ""]
    lines += [line for p in plots for line in (f"![{os.path.basename(p)[:-4]}]"
                                              f"(plots/{os.path.basename(p)})", "")]
    report = write_report(run_dir, config["recipe"], lines, config)
    atomic_write_text(run_dir.file("results.json"), json.dumps(results, indent=2) + "\n")
    print(f"report: {report}", flush=True)
    return results


# ------------------------------------------------------------------------ inspect-cnn
INSPECT = dict(DATA, epochs=2, batch_size=64, lr=0.05, channels=[16, 32], hidden=64, embed="tsne",
               embed_points=500, train_limit=None, test_limit=None)


@register("inspect-cnn", "train the lectures' CNN briefly, then draw filters, feature maps, "
          "saliency, top receptive-field patches, a hidden-layer embedding and the graph", INSPECT)
def run_inspect(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    from .. import viz
    from ..viz.graph import DOT_MISSING

    run_dir.write_config(config)
    arrays = vision_arrays(config)
    manual_seed(config["seed"])
    model = SimpleCNN(arrays["input_size"][0], len(arrays["classes"]), tuple(config["channels"]),
                      config["hidden"], arrays["input_size"][-1])
    train = tensor_dataset(arrays["x_train"], arrays["y_train"])
    trainer = Trainer(model, nn.CrossEntropyLoss(),
                      optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9),
                      callbacks=[GradientDiagnostics(every=20, warn=False)], run_dir=run_dir,
                      progress=progress)
    print(f"run folder: {run_dir.path}\ndata: {arrays['description']}", flush=True)
    trainer.fit(DataLoader(train, batch_size=config["batch_size"], shuffle=True),
                epochs=config["epochs"])
    x_test, y_test = arrays["x_test"], arrays["y_test"]
    acc = evaluate(model, DataLoader(tensor_dataset(x_test, y_test), batch_size=512))["accuracy"]
    p = run_dir.plots
    plots = {}

    def keep(name, fig):
        plots[name] = os.path.join(p, name + ".png")
        close(fig)

    keep("gradients", viz.plot_gradients(run_dir.path, os.path.join(p, "gradients.png")))
    keep("filters", viz.plot_filters(model.features[0].weight, os.path.join(p, "filters.png")))
    keep("feature_maps", viz.plot_feature_maps(model, x_test[:1], os.path.join(p, "feature_maps.png")))
    picks = [int(np.flatnonzero(y_test == c)[0]) for c in np.unique(y_test)[:10]]
    keep("saliency", viz.plot_saliency(model, x_test[picks], class_names=arrays["classes"],
                                       path=os.path.join(p, "saliency.png")))
    keep("top_patches", viz.plot_top_patches(model, "features.3", range(min(6, config["channels"][1])),
                                             x_test, k=8, path=os.path.join(p, "top_patches.png")))
    feats, _ = viz.extract_features(model, x_test[:config["embed_points"]], layer="classifier.2")
    method = config["embed"]
    try:
        fig = viz.plot_embedding(feats, y_test[:config["embed_points"]], method,
                                 class_names=arrays["classes"], path=os.path.join(p, "embedding.png"))
    except ImportError:
        method = "pca"
        fig = viz.plot_embedding(feats, y_test[:config["embed_points"]], "pca",
                                 class_names=arrays["classes"], path=os.path.join(p, "embedding.png"))
    keep("embedding", fig)
    rfs = viz.receptive_fields(model, arrays["input_size"][1:])
    model.eval()
    graph = viz.draw_graph(nn.functional.cross_entropy(model(tensor(x_test[:2])), tensor(y_test[:2])),
                           model, path=run_dir.file("graph.dot"))
    try:
        graph.save(run_dir.file("graph.svg"))
        graph_line = f"- computation graph: [graph.svg](graph.svg) ({graph.num_ops} ops)"
    except RuntimeError:
        graph_line = (f"- computation graph: graph.dot ({graph.num_ops} ops); SVG not drawn: "
                      + DOT_MISSING)
    lines = [f"- data: {arrays['description']}",
             f"- model: SimpleCNN channels {config['channels']}, hidden {config['hidden']}; "
             f"{config['epochs']} epochs", f"- **test accuracy: {100 * acc:.2f}%**", graph_line, "",
             "## Receptive fields", "", "| layer | type | size | jump | output |", "|---|---|---|---|---|"]
    lines += [f"| {r.name} | {r.layer} | {r.size[0]}x{r.size[1]} | {r.jump[0]} | "
              f"{r.output_size[0]}x{r.output_size[1]} |" for r in rfs]
    lines += ["", f"Embedding of the hidden layer (classifier.2) by {method.upper()}.", ""]
    lines += [line for n in plots for line in (f"![{n}](plots/{n}.png)", "")]
    print(f"test accuracy {acc:.4f}; report: {write_report(run_dir, config['recipe'], lines, config)}",
          flush=True)
    return {"test_accuracy": acc, "plots": plots}
