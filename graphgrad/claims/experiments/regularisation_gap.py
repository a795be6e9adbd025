"""Claim 8: dropout and data augmentation reduce the gap between training and test error; mixup too.

An MLP big enough to memorise a small balanced subset of the MNIST sample is trained to (near)
zero training error four ways from the same initialisation: as it is (baseline), with dropout 0.5
after each hidden layer, with random affine augmentation (graphgrad.vision.transforms.RandomAffine
in the dataset's transform) and with mixup (graphgrad.vision.transforms.MixUp as the DataLoader's
collate_fn, trained on its soft targets). The gap is training accuracy (on the clean training
images, eval mode) minus accuracy on the sample's 1,000 test digits, per variant and seed."""
from __future__ import annotations

import numpy as np

from ... import manual_seed, models, optim
from ...nn import functional as F
from ...utils.data import DataLoader, Subset
from ...vision import transforms as T
from ...vision.datasets import MNISTSample
from ...viz._figure import pyplot, save_figure
from .._digits import MNIST_MEAN, MNIST_STD, SAMPLE, sample_digits
from ..training import accuracy
from ..base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, verdict

REGULARISERS = ("dropout", "augmentation", "mixup")
VARIANTS = ("baseline",) + REGULARISERS
MARGIN = 0.02  # robust when every regulariser shrinks the gap by 2 points or more on every seed
MIXUP_ALPHA, DROPOUT = 0.2, 0.5
AUGMENT = dict(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1))


def _loader(variant: str, per_class: int, batch: int):
    steps = [T.ToTensor()]
    if variant == "augmentation":
        steps.append(T.RandomAffine(**AUGMENT))
    steps.append(T.Normalize((MNIST_MEAN,), (MNIST_STD,)))
    digits = MNISTSample(train=True, transform=T.Compose(steps))
    labels = digits.targets.numpy()
    rows = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
    mix = T.MixUp(alpha=MIXUP_ALPHA, num_classes=10) if variant == "mixup" else None
    return DataLoader(Subset(digits, np.sort(rows).tolist()), batch_size=batch, shuffle=True,
                      collate_fn=mix)


def _train_variant(variant, seed, per_class, epochs, hidden, lr, batch, train, test):
    manual_seed(seed)  # the same initial weights (dropout adds no parameters) and data order
    model = models.MLP(784, (hidden, hidden), 10, dropout=DROPOUT if variant == "dropout" else 0.0)
    loader = _loader(variant, per_class, batch)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    for _ in range(epochs):
        for images, targets in loader:
            loss = F.cross_entropy(model(images), targets)  # soft targets for mixup
            opt.zero_grad()
            loss.backward()
            opt.step()
    train_acc, test_acc = accuracy(model, *train), accuracy(model, *test)
    return {"train_acc": train_acc, "test_acc": test_acc, "gap": train_acc - test_acc}


def run(settings) -> dict:
    n_seeds = settings.pick(tiny=1, quick=3, full=3)
    per_class = settings.pick(tiny=10, quick=30, full=50)
    epochs = settings.pick(tiny=3, quick=100, full=150)
    hidden = settings.pick(tiny=64, quick=256, full=512)
    lr, batch = 0.01, 50
    train, test = sample_digits(True, per_class), sample_digits(False)
    seeds = [settings.seed + i for i in range(n_seeds)]
    results = {v: [] for v in VARIANTS}
    for seed in seeds:
        for variant in VARIANTS:
            results[variant].append(_train_variant(variant, seed, per_class, epochs, hidden, lr,
                                                   batch, train, test))
    return {
        "data": SAMPLE.format(n_train=len(train[0]), n_test=len(test[0]))
        + f": {per_class} training digits per class",
        "model": f"MLP 784-{hidden}-{hidden}-10 (ReLU), graphgrad.models.MLP",
        "optimiser": f"SGD lr {lr}, momentum 0.9, batch {batch}", "epochs": epochs,
        "dropout": DROPOUT, "augmentation": "RandomAffine(" + ", ".join(
            f"{k}={v}" for k, v in AUGMENT.items()) + ")",
        "mixup_alpha": MIXUP_ALPHA, "margin": MARGIN, "seeds": seeds, "results": results,
    }


def judge(metrics: dict):
    base = [r["gap"] for r in metrics["results"]["baseline"]]
    margin = metrics["margin"]
    reduces, robust, failed, parts = [], [], [], []
    for name in REGULARISERS:
        gaps = [r["gap"] for r in metrics["results"][name]]
        shrink = [b - g for b, g in zip(base, gaps)]
        parts.append(f"{name} {100 * np.mean(gaps):.1f} (test acc "
                     f"{100 * np.mean([r['test_acc'] for r in metrics['results'][name]]):.1f}%)")
        if all(s > 0 for s in shrink):
            reduces.append(name)
            if all(s >= margin for s in shrink):
                robust.append(name)
        elif all(s <= 0 for s in shrink):
            failed.append(name)
    measured = (f"mean train-test accuracy gap over seeds {metrics['seeds']}, in points: baseline "
                f"{100 * np.mean(base):.1f} (test acc "
                f"{100 * np.mean([r['test_acc'] for r in metrics['results']['baseline']]):.1f}%), "
                + ", ".join(parts))
    if failed:
        return verdict(DOES_NOT_HOLD, measured,
                       f"{', '.join(failed)} did not shrink the gap on any seed"
                       + (f" ({', '.join(reduces)} did, on every seed)" if reduces else "")
                       + "; at this scale (an MLP memorising a few hundred digits) the claim "
                       "holds only in part")
    if len(reduces) == len(REGULARISERS):
        return verdict(HOLDS, measured, "each regulariser shrank the gap on every seed"
                       + ("" if len(robust) == len(REGULARISERS) else
                          f", but not by {100 * margin:g} points on every seed for "
                          + ", ".join(n for n in REGULARISERS if n not in robust)),
                       robust=len(robust) == len(REGULARISERS))
    mixed = [n for n in REGULARISERS if n not in reduces]
    return verdict(INCONCLUSIVE, measured, f"{', '.join(mixed)} shrank the gap on some seeds only")


def plot(metrics: dict, path: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.38
    xs = np.arange(len(VARIANTS))
    for offset, key, label in ((-width / 2, "train_acc", "training"), (width / 2, "test_acc", "test")):
        values = [[100 * r[key] for r in metrics["results"][v]] for v in VARIANTS]
        ax.bar(xs + offset, [np.mean(v) for v in values], width, label=f"{label} accuracy")
        for x, v in zip(xs, values):
            ax.scatter([x + offset] * len(v), v, color="black", s=8, zorder=3)
    for x, v in zip(xs, VARIANTS):
        gap = 100 * np.mean([r["gap"] for r in metrics["results"][v]])
        ax.text(x, 101, f"gap {gap:.1f}", ha="center", fontsize=9)
    low = min(100 * r["test_acc"] for v in VARIANTS for r in metrics["results"][v])
    ax.set_ylim(max(0, low - 10), 105)
    ax.set_xticks(xs, VARIANTS)
    ax.set(ylabel="accuracy (%)", title=f"Train vs test accuracy, {metrics['data']}, "
           f"{len(metrics['seeds'])} seeds (dots)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=8, name="regularisation-gap",
    statement="Dropout and data augmentation reduce the gap between training and test error; mixup too",
    source="lectures on regularisation (dropout, data augmentation, mixup); Srivastava et al. 2014, "
           "Zhang et al. 2018",
    rule="gap = training accuracy - test accuracy after training, per seed; holds when dropout, "
         "augmentation and mixup each give a smaller gap than the baseline on every seed (robust: "
         f"by at least {100 * MARGIN:g} points on every seed for all three); does not hold when one "
         "of them gives no smaller gap on any seed; inconclusive otherwise",
    budget={"quick": "~25-40 s", "full": "~1.5-2.5 min"},
    run=run, judge=judge, plot=plot,
)
