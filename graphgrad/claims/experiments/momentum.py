"""Claim 7: SGD with momentum 0.9 converges faster than plain SGD at the same learning rate, and
the lectures' update rule is what ``optim.SGD(momentum=0.9, weight_decay=0.0005)`` computes.

Two experiments. (1) Speed: the same MLP from the same initialisation, trained with plain SGD and
with momentum 0.9 at one learning rate, on several seeds; the loss on the whole training set is
recorded as it falls, and we count the steps until it drops below a threshold. (2) The rule: a
small CNN copied twice; one copy is stepped by ``optim.SGD(lr=e, momentum=0.9,
weight_decay=0.0005)``, the other by the lectures' ``v = 0.9 v - 0.0005 e w - e g; w = w + v``
written out by hand, on the same real minibatches; the largest weight difference is recorded
after every step. PyTorch (and graphgrad) keep the learning rate outside the buffer
(``b = 0.9 b + g + 0.0005 w; w = w - e b``), so ``v = -e b`` whenever ``e`` is constant; the
experiment records that too, and a third run halves ``e`` midway to show where the two forms part.
"""
from __future__ import annotations

import numpy as np

from ... import manual_seed, models, no_grad, optim, tensor
from ...nn import functional as F
from ...viz._figure import pyplot, save_figure
from .._digits import SAMPLE, first_step_below, sample_digits, train_and_record
from ..base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, verdict

MOMENTUM, DECAY = 0.9, 0.0005
SPEEDUP = 2.0       # robust when momentum needs at most half of plain SGD's steps on every seed
SAME_TOL = 1e-5     # largest |w_lecture - w_SGD| / largest |w| counted as equal (float32 rounding)
THRESHOLD = 0.5     # training-set cross-entropy that counts as converged


def _speed_runs(seeds, x, y, lr, steps, batch, every):
    runs = []
    for seed in seeds:
        curves = {}
        for name, momentum in (("sgd", 0.0), ("momentum", MOMENTUM)):
            manual_seed(seed)  # the same initial weights for both optimisers
            model = models.MLP(784, (100,), 10)
            opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
            at, losses = train_and_record(model, opt, x, y, steps, batch, seed, every)
            curves[name] = {"steps": at, "loss": losses,
                            "steps_to_threshold": first_step_below(at, losses, THRESHOLD)}
        runs.append({"seed": seed, **curves})
    return runs


def _lecture_vs_sgd(seed, x, y, lrs, batch):
    """Step two copies of one CNN, one by optim.SGD and one by the lectures' rule, through
    ``len(lrs)`` steps with learning rate ``lrs[t]`` at step t; per step, the largest weight
    difference and the largest |v + e b| (lecture velocity against -lr x PyTorch's buffer),
    each divided by the largest |w|."""
    manual_seed(seed)
    net_sgd = models.SimpleCNN(channels=(8, 16), hidden=32)
    net_lecture = models.SimpleCNN(channels=(8, 16), hidden=32)
    net_lecture.load_state_dict(net_sgd.state_dict())
    opt = optim.SGD(net_sgd.parameters(), lr=lrs[0], momentum=MOMENTUM, weight_decay=DECAY)
    params_sgd, params_lecture = list(net_sgd.parameters()), list(net_lecture.parameters())
    velocity = [np.zeros_like(p.detach().numpy()) for p in params_lecture]
    rng = np.random.default_rng(seed)
    weight_diff, velocity_diff = [], []
    for lr in lrs:
        rows = rng.choice(len(x), batch, replace=False)
        for net in (net_sgd, net_lecture):
            net.zero_grad()
            F.cross_entropy(net(tensor(x[rows])), tensor(y[rows])).backward()
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        with no_grad():  # the lectures' rule, written out
            for p, v in zip(params_lecture, velocity):
                w, g = p.detach().numpy(), p.grad.numpy()
                v *= MOMENTUM
                v -= DECAY * lr * w + lr * g
                p.add_(tensor(v))
        scale = max(float(np.abs(p.detach().numpy()).max()) for p in params_sgd)
        weight_diff.append(max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
                               for a, b in zip(params_sgd, params_lecture)) / scale)
        velocity_diff.append(max(float(np.abs(v + lr * opt.state[p]["momentum_buffer"].numpy()).max())
                                 for p, v in zip(params_sgd, velocity)) / scale)
    return {"lrs": [float(lr) for lr in lrs], "weight_diff": weight_diff,
            "velocity_diff": velocity_diff}


def run(settings) -> dict:
    n_seeds = settings.pick(tiny=1, quick=4, full=6)
    steps = settings.pick(tiny=40, quick=400, full=1200)
    rule_steps = settings.pick(tiny=3, quick=10, full=20)
    lr, batch, every = 0.01, 32, settings.pick(tiny=10, quick=10, full=20)
    x, y = sample_digits(train=True)
    seeds = [settings.seed + i for i in range(n_seeds)]
    speed = _speed_runs(seeds, x, y, lr, steps, batch, every)
    constant = _lecture_vs_sgd(settings.seed, x, y, [0.05] * rule_steps, 64)
    halved = _lecture_vs_sgd(settings.seed, x, y,
                             [0.05] * (rule_steps // 2) + [0.025] * (rule_steps - rule_steps // 2), 64)
    return {
        "data": SAMPLE.format(n_train=len(x), n_test=1000) + ", training part",
        "model": "MLP 784-100-10 (ReLU), graphgrad.models.MLP",
        "lr": lr, "momentum": MOMENTUM, "batch": batch, "steps": steps, "eval_every": every,
        "threshold": THRESHOLD, "seeds": seeds, "speed": speed,
        "rule_model": "graphgrad.models.SimpleCNN(channels=(8, 16), hidden=32), batches of 64 digits",
        "rule_lr": 0.05, "weight_decay": DECAY, "rule_constant_lr": constant,
        "rule_halved_lr": halved, "same_tolerance": SAME_TOL,
    }


def judge(metrics: dict):
    constant = metrics["rule_constant_lr"]
    tol = metrics["same_tolerance"]
    worst = max(max(constant["weight_diff"]), max(constant["velocity_diff"]))
    halved_gap = max(metrics["rule_halved_lr"]["weight_diff"])
    same = worst <= tol
    steps = metrics["steps"]
    ratios, parts = [], []
    for r in metrics["speed"]:
        m, s = r["momentum"]["steps_to_threshold"], r["sgd"]["steps_to_threshold"]
        parts.append(f"seed {r['seed']}: momentum {m if m is not None else f'>{steps}'} vs SGD "
                     f"{s if s is not None else f'>{steps}'} steps")
        if m is None and s is None:
            ratios.append(None)
        elif m is None:
            ratios.append(float("inf"))
        else:  # plain SGD not there within the budget: at most m / steps (a bound, on the safe side)
            ratios.append(m / (s if s is not None else steps))
    measured = (f"steps to training loss < {metrics['threshold']} at lr {metrics['lr']}: "
                f"{'; '.join(parts)}. Lecture rule vs optim.SGD over {len(constant['weight_diff'])} "
                f"steps: max relative weight difference {max(constant['weight_diff']):.1e}, "
                f"max |v + lr*buffer| {max(constant['velocity_diff']):.1e}; with lr halved midway "
                f"{halved_gap:.1e}")
    if not same:
        return verdict(DOES_NOT_HOLD, measured,
                       f"the lectures' rule and optim.SGD differ by {worst:.1e} > {tol:.0e} at a "
                       "constant learning rate")
    rule_note = (f"The lectures' rule equals optim.SGD(momentum=0.9, weight_decay=0.0005) to "
                 f"{worst:.1e} (float32 rounding) at a constant lr: PyTorch's buffer b gives v = -lr*b; "
                 f"when lr changes mid-run they part ({halved_gap:.1e}).")
    if any(r is None for r in ratios):
        return verdict(INCONCLUSIVE, measured, "neither optimiser reached the threshold on some seed "
                       "within the budget. " + rule_note)
    if all(r <= 1 / SPEEDUP for r in ratios):
        return verdict(HOLDS, measured, f"momentum needed at most 1/{SPEEDUP:g} of plain SGD's steps "
                       "on every seed. " + rule_note, robust=True)
    if all(r < 1 for r in ratios):
        return verdict(HOLDS, measured, "momentum was faster on every seed, but not by "
                       f"{SPEEDUP:g}x on all of them. " + rule_note)
    if all(r >= 1 for r in ratios):
        return verdict(DOES_NOT_HOLD, measured, "momentum was not faster on any seed. " + rule_note)
    return verdict(INCONCLUSIVE, measured, "momentum was faster on some seeds only. " + rule_note)


def plot(metrics: dict, path: str) -> None:
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for name, colour in (("sgd", "tab:blue"), ("momentum", "tab:red")):
        for i, r in enumerate(metrics["speed"]):
            loss = [np.nan if v is None else v for v in r[name]["loss"]]
            label = ("plain SGD" if name == "sgd" else f"momentum {metrics['momentum']}") if i == 0 else None
            ax1.plot(r[name]["steps"], loss, color=colour, alpha=0.8, label=label)
    ax1.axhline(metrics["threshold"], color="grey", linestyle=":", label="threshold")
    ax1.set_yscale("log")
    ax1.set(title=f"Training loss, lr {metrics['lr']}, {len(metrics['speed'])} seeds",
            xlabel="step", ylabel="cross-entropy on the training set")
    ax1.legend()
    for key, label in (("rule_constant_lr", "constant lr"), ("rule_halved_lr", "lr halved midway")):
        diff = np.maximum(metrics[key]["weight_diff"], 1e-12)
        ax2.plot(range(1, len(diff) + 1), diff, marker="o", label=label)
    ax2.axhline(metrics["same_tolerance"], color="grey", linestyle=":", label="tolerance")
    ax2.set_yscale("log")
    ax2.set(title="Lectures' rule vs optim.SGD(momentum=0.9, wd=5e-4)", xlabel="step",
            ylabel="max |w_lecture - w_SGD| / max |w|")
    ax2.legend()
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=7, name="momentum",
    statement="SGD with momentum 0.9 converges faster than plain SGD at the same learning rate; the "
              "lectures' rule v = 0.9v - 0.0005*e*w - e*g, w = w + v is what optim.SGD(momentum=0.9, "
              "weight_decay=0.0005) computes",
    source="lectures on optimisation (momentum); Krizhevsky, Sutskever & Hinton 2012, section 5",
    rule=f"holds (robust) when, on every seed, momentum 0.9 reaches training loss {THRESHOLD} in at "
         f"most 1/{SPEEDUP:g} of the steps plain SGD needs at the same lr (holds, not robust: fewer "
         "steps on every seed) AND the hand-written lecture rule and optim.SGD agree at a constant lr "
         f"to {SAME_TOL:.0e} of the largest weight on every step; does not hold when they disagree "
         "or momentum is faster on no seed; inconclusive otherwise",
    budget={"quick": "~6 s", "full": "~20 s"},
    run=run, judge=judge, plot=plot,
)
