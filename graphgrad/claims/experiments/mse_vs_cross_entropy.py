"""Claim 3: squared error is a bad loss for a softmax output; cross-entropy trains faster.

The argument: with cross-entropy C = -log p_y, the gradient at the logits is dC/dz = p - t, large
whenever the network is wrong. With the squared error C = 1/2 sum_k (p_k - t_k)^2 the gradient
goes through the softmax's Jacobian, dC/dz_j = p_j ((p_j - t_j) - sum_k p_k (p_k - t_k)), which
vanishes as p_y -> 0: the more confidently wrong the output, the flatter the loss, so learning
stalls exactly where it is needed. The experiment measures both halves: the gradient at the
logits as the true class's logit moves (by graphgrad's autograd, not from the formulas above),
and the steps each loss needs to reach a training error, from the same initial weights."""
from __future__ import annotations

import numpy as np

from ... import manual_seed, nn, optim, tensor
from ...models import MLP
from ...nn import functional as F
from ..base import Claim
from ..data import mnist_arrays
from ..speed import speedup_verdict, steps_to
from ..training import train_classifier

TARGET = 0.10  # the training error each loss must reach (fixed in advance)
NEEDED = 2.0   # squared error must need at least twice cross-entropy's steps


def squared_error(logits, target):
    """1/2 sum over classes of (softmax - one-hot)^2, averaged over the batch: the quadratic cost
    of the lectures on a softmax output (a sum over classes, not PyTorch's mean over elements,
    which would also shrink the gradient tenfold for a reason that has nothing to do with the
    claim)."""
    one_hot = F.one_hot(target, logits.shape[1]).float()
    return 0.5 * ((logits.softmax(dim=1) - one_hot) ** 2).sum(dim=1).mean()


def gradient_curve(classes: int = 10, points: int = 81) -> dict:
    """dC/dz_y for both losses as the true class's logit z_y runs over [-10, 10] with every
    other logit at 0, computed by backward through each loss."""
    z_true = np.linspace(-10.0, 10.0, points)
    logits_np = np.zeros((points, classes), dtype=np.float64)
    logits_np[:, 0] = z_true
    target = tensor(np.zeros(points, dtype=np.int64))
    out = {"z": [round(float(v), 4) for v in z_true]}
    for name, loss_fn in (("cross_entropy", F.cross_entropy), ("squared_error", squared_error)):
        logits = tensor(logits_np, requires_grad=True)
        # summed over the batch: each row's own gradient, not divided by the number of rows
        (loss_fn(logits, target) * points).backward()
        out[name] = [round(float(g), 6) for g in logits.grad.numpy()[:, 0]]
    return out


def run(settings) -> dict:
    data = mnist_arrays(settings.data, train_limit=settings.pick(500, 4000, 12000),
                        test_limit=settings.pick(200, 1000, 1000))
    seeds = settings.pick(tiny=1, quick=5, full=10)  # cheap: five seeds even in quick, ten in full
    epochs = settings.pick(tiny=2, quick=12, full=12)
    hidden = settings.pick(tiny=[32], quick=[100], full=[100])
    lr, batch_size, probe_every = 0.1, 64, settings.pick(tiny=4, quick=10, full=10)
    probe_size = settings.pick(tiny=200, quick=1000, full=1000)
    losses = {"cross_entropy": nn.CrossEntropyLoss(), "squared_error": squared_error}
    runs = {name: [] for name in losses}
    for i in range(seeds):
        seed = settings.seed + i
        for name, loss_fn in losses.items():
            manual_seed(seed)  # the same start: identical initial weights for both losses
            model = MLP(784, hidden, 10, activation="relu")
            opt = optim.SGD(model.parameters(), lr=lr)
            curves = train_classifier(model, opt, data, loss_fn=loss_fn, epochs=epochs,
                                      batch_size=batch_size, seed=seed, probe_every=probe_every,
                                      probe_size=probe_size, stop_at=TARGET)
            curves["seed"] = seed
            curves["steps_to_target"] = steps_to(curves["probe_steps"], curves["probe_error"], TARGET)
            runs[name].append(curves)
    steps_per_epoch = -(-len(data["y_train"]) // batch_size)
    return {"data": data["description"], "target_error": TARGET, "seeds": seeds, "epochs": epochs,
            "steps_per_epoch": steps_per_epoch, "budget_steps": epochs * steps_per_epoch,
            "model": f"MLP 784-{'-'.join(map(str, hidden))}-10, ReLU, softmax output",
            "optimizer": f"SGD lr {lr} (no momentum), batch {batch_size}, the same for both losses",
            "probe": f"training error on a fixed random {probe_size} training images every "
                     f"{probe_every} steps; a run stops once it reaches the target",
            "gradient": gradient_curve(), "runs": runs}


def judge(metrics: dict):
    return speedup_verdict("cross-entropy", "squared error",
                           [r["steps_to_target"] for r in metrics["runs"]["cross_entropy"]],
                           [r["steps_to_target"] for r in metrics["runs"]["squared_error"]],
                           metrics["budget_steps"], NEEDED,
                           f"{100 * metrics['target_error']:g}% training error")


def plot(metrics: dict, path: str) -> None:
    from ...viz._figure import pyplot, save_figure

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    g = metrics["gradient"]
    left.plot(g["z"], g["cross_entropy"], color="tab:blue", label="cross-entropy")
    left.plot(g["z"], g["squared_error"], color="tab:red", label="squared error")
    left.axhline(0, color="k", lw=0.6)
    left.set_xlabel("logit of the true class z_y (the other 9 logits at 0)")
    left.set_ylabel("dC/dz_y")
    left.set_title("Gradient at a softmax output")
    left.legend()
    left.grid(alpha=0.3)
    per_epoch = metrics["steps_per_epoch"]
    for name, colour in (("cross_entropy", "tab:blue"), ("squared_error", "tab:red")):
        for j, r in enumerate(metrics["runs"][name]):
            right.plot([s / per_epoch for s in r["probe_steps"]], [100 * e for e in r["probe_error"]],
                       color=colour, alpha=0.8, ls="-" if j == 0 else "--",
                       label=name.replace("_", " ") if j == 0 else None)
    right.axhline(100 * metrics["target_error"], color="k", lw=0.8, ls=":",
                  label=f"target {100 * metrics['target_error']:g}%")
    right.set_yscale("log")
    right.set_xlabel("epoch")
    right.set_ylabel("training error (%)")
    right.set_title("Training from the same initial weights")
    right.legend()
    right.grid(alpha=0.3)
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=3, name="mse-vs-cross-entropy",
    statement="Squared error is a bad loss for softmax outputs: cross-entropy trains faster from "
              "the same start, because squared error's gradient flattens where the output is "
              "confidently wrong.",
    source="the lectures on output units and loss functions (softmax with cross-entropy vs "
           "squared error; the gradient dC/dz of each)",
    rule=f"the steps to {TARGET:.0%} training error from the same initial weights, squared "
         f"error's over cross-entropy's, have a geometric mean over seeds >= {NEEDED:g} and "
         f"cross-entropy is sooner on every seed; a run that never reaches the target gives a "
         f"bound (inconclusive if that bound cannot decide). Robust: 3+ seeds, each ratio >= "
         f"{NEEDED:g}",
    budget={"quick": "~2 s", "full": "~5-20 s"},
    run=run, judge=judge, plot=plot)
