"""Recipes that look inside networks.

``vanishing-gradients``: the same deep MLP with sigmoid, tanh and ReLU, trained identically with the
gradient-diagnostics callback; the per-layer gradient norms side by side show the lectures' point
that saturating activations starve the early layers.

``inspect-cnn``: train the lectures' CNN briefly, then draw what it learned: first-layer filters,
every conv layer's feature maps for one digit, saliency maps, the receptive-field patches that excite
chosen channels most, a 2-D embedding of the hidden layer, and the computation graph.

"""
from __future__ import annotations

import os

import numpy as np

from .. import manual_seed, nn, optim, tensor
from ..models import MLP, SimpleCNN
from ..train import GradientDiagnostics, Trainer, evaluate
from ..utils.data import DataLoader
from .common import close, save_json, start_run, sub_run, write_report
from .registry import register
from .vision_data import DATA, tensor_dataset, vision_arrays


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
    from ..viz import plot_gradient_profiles

    start_run(config, run_dir, resume, several=True)
    arrays = vision_arrays(config)
    print(f"run folder: {run_dir.path}\ndata: {arrays['description']}", flush=True)
    results, plots = {}, []
    for act in config["activations"]:
        results[act], plot = _train_activation(config, run_dir, arrays, act, resume, progress)
        plots.append(plot)
        first = results[act]["first_step"]
        layers = list(first)
        print(f"{act}: test accuracy {results[act]['test_accuracy']:.4f}; first/last layer gradient "
              f"norm at step 1: {first[layers[0]]:.3g} / {first[layers[-1]]:.3g}", flush=True)
    profiles = {a: r["first_step"] for a, r in results.items()}
    close(plot_gradient_profiles(profiles, os.path.join(run_dir.plots, "gradient_profiles.png"),
                                 title=f"Gradient norm by layer at step 1 (depth {config['depth']} MLP)"))
    close(plot_gradient_profiles({a: r["mean"] for a, r in results.items()},
                                 os.path.join(run_dir.plots, "gradient_profiles_mean.png"),
                                 title="Gradient norm by layer, mean over training"))
    report = write_report(run_dir, config["recipe"],
                          _vanishing_lines(config, arrays, results, plots), config)
    save_json(run_dir, "results.json", results)
    print(f"report: {report}", flush=True)
    return results


def _train_activation(config, run_dir, arrays, act: str, resume: bool, progress: bool):
    """Train the deep MLP with activation ``act`` (its run folder: the subfolder ``act``) and
    return its figures and the path of its gradient plot."""
    from ..viz import plot_gradients

    manual_seed(config["seed"])
    model = MLP(int(np.prod(arrays["input_size"])), [config["width"]] * config["depth"],
                len(arrays["classes"]), activation=act)
    init_for(model, act, config["init"])
    sub, sub_resume = sub_run(run_dir, act, config, resume)
    diag = GradientDiagnostics(every=config["every"], warn=False)
    trainer = Trainer(model, nn.CrossEntropyLoss(),
                      optim.SGD(model.parameters(), lr=config["lr"], momentum=config["momentum"]),
                      callbacks=[diag], run_dir=sub, progress=progress)
    train = tensor_dataset(arrays["x_train"], arrays["y_train"])
    trainer.fit(DataLoader(train, batch_size=config["batch_size"], shuffle=True),
                epochs=config["epochs"], resume=sub_resume)
    test_loader = DataLoader(tensor_dataset(arrays["x_test"], arrays["y_test"]), batch_size=512)
    first, mean = diag.records[0], diag.summary()
    layers = list(first["layers"])  # registration order = input to output
    path = os.path.join(run_dir.plots, f"gradients_{act}.png")
    close(plot_gradients(diag, path, title=f"Gradient norms per layer ({act})"))
    return {"test_accuracy": evaluate(model, test_loader)["accuracy"], "seconds": trainer.elapsed,
            "first_step": {n: first["layers"][n]["grad_norm"] for n in layers},
            "mean": {n: mean[n]["mean"] for n in layers}, "warnings": diag.warnings,
            "activations": first["activations"]}, path


def _vanishing_lines(config, arrays, results, plots) -> list:
    acts = list(results)
    profiles = {a: r["first_step"] for a, r in results.items()}
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
    return lines + [line for p in plots for line in (f"![{os.path.basename(p)[:-4]}]"
                                                    f"(plots/{os.path.basename(p)})", "")]


# ------------------------------------------------------------------------ inspect-cnn
INSPECT = dict(DATA, epochs=2, batch_size=64, lr=0.05, channels=[16, 32], hidden=64, embed="tsne",
               embed_points=500, train_limit=None, test_limit=None)


@register("inspect-cnn", "train the lectures' CNN briefly, then draw filters, feature maps, "
          "saliency, top receptive-field patches, a hidden-layer embedding and the graph", INSPECT)
def run_inspect(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    from ..viz import receptive_fields

    resume = start_run(config, run_dir, resume)
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
                epochs=config["epochs"], resume=resume)
    x_test, y_test = arrays["x_test"], arrays["y_test"]
    acc = evaluate(model, DataLoader(tensor_dataset(x_test, y_test), batch_size=512))["accuracy"]
    plots, method, graph_line = _inspect_plots(config, run_dir, model, arrays)
    rfs = receptive_fields(model, arrays["input_size"][1:])
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


def _inspect_plots(config, run_dir, model, arrays):
    """Every picture of inspect-cnn; returns (plots by name, the embedding's method, the
    report's line about the computation graph)."""
    from .. import viz
    from ..viz.graph import DOT_MISSING

    x_test, y_test = arrays["x_test"], arrays["y_test"]
    p, plots = run_dir.plots, {}

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
    model.eval()
    graph = viz.draw_graph(nn.functional.cross_entropy(model(tensor(x_test[:2])), tensor(y_test[:2])),
                           model, path=run_dir.file("graph.dot"))
    try:
        graph.save(run_dir.file("graph.svg"))
        graph_line = f"- computation graph: [graph.svg](graph.svg) ({graph.num_ops} ops)"
    except RuntimeError:
        graph_line = (f"- computation graph: graph.dot ({graph.num_ops} ops); SVG not drawn: "
                      + DOT_MISSING)
    return plots, method, graph_line
