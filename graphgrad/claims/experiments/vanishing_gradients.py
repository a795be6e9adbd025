"""Claim 5: in deep sigmoid/tanh MLPs the gradients vanish on the way back to the first layers;
ReLU with He (Kaiming) initialisation keeps them the same size at every depth (Glorot & Bengio
2010; He et al. 2015).

The experiment builds the zoo's ``graphgrad.models.MLP`` with many equal hidden layers, once per
(activation, initialisation): sigmoid and tanh with the default initialisation (PyTorch's, weights
U(-1/sqrt(fan_in), 1/sqrt(fan_in))), ReLU with that same default, and ReLU with He initialisation
(normal, std sqrt(2/fan_in)). For minibatches of the embedded MNIST sample it back-propagates the
cross-entropy and reads every layer's weight-gradient norm (``graphgrad.train.diagnostics.
layer_norms``). The comparison is between hidden-to-hidden layers, which all have the same shape:
the first one's gradient norm over the last one's says how much the gradient shrank across the
depth."""
from __future__ import annotations

import numpy as np

from ... import manual_seed, nn, tensor
from ...models.linear import MLP
from ...train.diagnostics import layer_norms
from ...vision.datasets.mnist_sample import load_mnist_sample, split_indices
from ...viz._figure import pyplot, save_figure
from ..base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Settings, Verdict, verdict

VANISHED = 0.1  # sigmoid/tanh: first/last hidden-layer gradient ratio at most this on every seed
HEALTHY = (0.25, 4.0)  # ReLU + He: the ratio within this band (neither vanishing nor exploding)
SETUPS = {"sigmoid": ("sigmoid", "default"), "tanh": ("tanh", "default"),
          "relu-default-init": ("relu", "default"), "relu-he-init": ("relu", "he")}
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def _build(activation: str, init: str, depth: int, width: int) -> MLP:
    model = MLP(784, [width] * depth, 10, activation=activation)
    if init == "he":
        for m in model.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
    return model


def _hidden_grad_norms(model: MLP, x: np.ndarray, y: np.ndarray) -> list[float]:
    """The weight-gradient norm of every Linear layer, input layer first, for one minibatch."""
    model.zero_grad()
    nn.functional.cross_entropy(model(tensor(x)), tensor(y)).backward()
    norms = layer_norms(model)
    linears = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    return [float(norms[name]["grad_norm"]) for name in linears]


def run(settings: Settings) -> dict:
    depth, width = settings.pick(tiny=4, quick=12, full=20), settings.pick(tiny=32, quick=128, full=256)
    seeds, batches = settings.pick(tiny=1, quick=3, full=5), settings.pick(tiny=1, quick=4, full=8)
    batch = 128
    images, labels = load_mnist_sample()
    rows = split_indices(labels, train=True)
    x_all = ((images[rows].astype(np.float32) / 255.0 - MNIST_MEAN) / MNIST_STD).reshape(len(rows), 784)
    y_all = labels[rows]
    runs = []
    for s in range(seeds):
        seed = settings.seed + s
        pick = np.random.default_rng(seed).permutation(len(rows))[:batches * batch].reshape(batches, batch)
        per_setup = {}
        for name, (activation, init) in SETUPS.items():
            manual_seed(seed)
            model = _build(activation, init, depth, width)
            norms = np.mean([_hidden_grad_norms(model, x_all[b], y_all[b]) for b in pick], axis=0)
            per_setup[name] = {"grad_norms": [float(v) for v in norms],
                               "ratio": float(norms[1] / norms[-2])}
        runs.append({"seed": seed, "setups": per_setup})
    return {"depth": depth, "width": width, "batch_size": batch, "batches": batches,
            "setups": {k: {"activation": a, "init": i} for k, (a, i) in SETUPS.items()},
            "data": f"embedded MNIST sample, {batches} minibatches of {batch} training images per seed",
            "measure": "weight-gradient norm per Linear layer at initialisation, averaged over the "
                       "minibatches; ratio = first hidden-to-hidden layer / last hidden-to-hidden layer",
            "runs": runs}


def judge(metrics: dict) -> Verdict:
    seeds = [r["seed"] for r in metrics["runs"]]
    ratios = {k: [r["setups"][k]["ratio"] for r in metrics["runs"]] for k in metrics["setups"]}
    low, high = HEALTHY
    vanish = all(v <= VANISHED for k in ("sigmoid", "tanh") for v in ratios[k])
    healthy = all(low <= v <= high for v in ratios["relu-he-init"])
    measured = (f"gradient-norm ratio first/last hidden layer over seeds {seeds}: " +
                "; ".join(f"{k} " + ", ".join(f"{v:.2g}" for v in vs) for k, vs in ratios.items()))
    if vanish and healthy:
        return verdict(HOLDS, measured, f"sigmoid and tanh shrink the gradient by more than "
                       f"{1 / VANISHED:.0f}x across {metrics['depth']} hidden layers on every seed; "
                       f"ReLU with He initialisation keeps it within {low}-{high}x",
                       robust=len(seeds) >= 2)
    any_vanish = any(v <= VANISHED for k in ("sigmoid", "tanh") for v in ratios[k])
    any_healthy = any(low <= v <= high for v in ratios["relu-he-init"])
    if not any_vanish and not any_healthy:
        return verdict(DOES_NOT_HOLD, measured, "neither did sigmoid/tanh gradients vanish nor did "
                       "ReLU + He keep them level on any seed")
    if not any_vanish or not any_healthy:
        part = "sigmoid/tanh gradients did not vanish" if not any_vanish else \
            "ReLU + He gradients did not stay level"
        return verdict(DOES_NOT_HOLD, measured, f"{part} on any seed")
    return verdict(INCONCLUSIVE, measured, "the rule held on some seeds or setups but not all")


def plot(metrics: dict, path: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name in metrics["setups"]:
        norms = np.exp(np.mean([np.log(r["setups"][name]["grad_norms"]) for r in metrics["runs"]], axis=0))
        ax.plot(np.arange(1, len(norms) + 1), norms, marker="o", markersize=3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = input layer)")
    ax.set_ylabel("weight-gradient norm (geometric mean over seeds)")
    ax.set_title(f"Gradient norm per layer at initialisation, {metrics['depth']} hidden layers")
    ax.legend()
    ax.grid(alpha=0.3)
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=5, name="vanishing-gradients",
    statement="Deep sigmoid/tanh MLPs suffer vanishing gradients; ReLU with good (He) "
              "initialisation does not.",
    source="Glorot & Bengio 2010 (the back-propagated gradients shrink towards the input); He et "
           "al. 2015 (initialisation for rectifiers), as the lectures present them",
    rule=f"At initialisation, averaged over minibatches, the weight-gradient norm of the first "
         f"hidden-to-hidden layer over that of the last is at most {VANISHED} for sigmoid and for "
         f"tanh (default init) and within {HEALTHY[0]}-{HEALTHY[1]} for ReLU with He init, on every "
         f"seed; sigmoid/tanh never vanishing or ReLU+He never level: does not hold; otherwise "
         f"inconclusive.",
    budget={"quick": "~1 s", "full": "~3 s"},
    run=run, judge=judge, plot=plot)
