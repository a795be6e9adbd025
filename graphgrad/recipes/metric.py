"""Recipe ``metric-mnist``: learn a distance function on MNIST. A siamese CNN maps digits to a 2-D
space, trained with the contrastive loss on pairs and, as a variant, with the triplet loss; the
learned space is judged by nearest-neighbour accuracy (test digits labelled by their nearest
training digit) and drawn directly, since it is 2-D."""
from __future__ import annotations

import os

import numpy as np

from .. import manual_seed, nn, optim, tensor
from ..models.siamese import (EmbeddingNet, SiameseNet, contrastive_loss, sample_pairs,
                              sample_triplets)
from ..train import Callback, DrawnBatches, Loop, LossStep
from ..viz import plot_embedding
from .common import close, predict, save_json, start_run, sub_run, write_report
from .registry import RecipeError, register
from .vision_data import DATA, vision_arrays

METRIC = dict(DATA, losses=["contrastive", "triplet"], dim=2, steps=400, batch_size=32, lr=2e-3,
              margin=1.0, channels=[8, 16], hidden=64, train_limit=None, test_limit=None)
LOSSES = ("contrastive", "triplet")


def embed(net, x, batch: int = 500) -> np.ndarray:
    net.eval()
    return predict(net.embedding, x, batch)


def nearest_neighbour_accuracy(train_emb, train_y, test_emb, test_y) -> float:
    """Fraction of test embeddings whose nearest training embedding (Euclidean) has their label."""
    d = ((test_emb ** 2).sum(1)[:, None] - 2 * test_emb @ train_emb.T + (train_emb ** 2).sum(1)[None])
    return float((train_y[d.argmin(axis=1)] == test_y).mean())


def metric_batches(loss_name: str, x, y, config: dict) -> DrawnBatches:
    """``steps`` batches of ``batch_size`` pairs (x1, x2, same) or triplets (anchor, positive,
    negative), drawn from a generator seeded with ``seed``."""
    n = config["batch_size"]
    if loss_name == "contrastive":
        def draw(rng):
            i, j, same = sample_pairs(y, n, rng)
            return tensor(x[i]), tensor(x[j]), tensor(same)
    else:
        def draw(rng):
            a, p, q = sample_triplets(y, n, rng)
            return tensor(x[a]), tensor(x[p]), tensor(x[q])
    return DrawnBatches(draw, config["steps"], config["seed"])


def metric_loss(loss_name: str, margin: float):
    """The step's loss of (siamese net, batch): contrastive on pairs, triplet margin on triplets."""
    if loss_name == "contrastive":
        return lambda net, b: contrastive_loss(*net(b[0], b[1]), b[2], margin=margin)
    triplet = nn.TripletMarginLoss(margin=margin)
    return lambda net, b: triplet(*net(*b))


class RecentLosses(Callback):
    """The mean of the last ``n`` steps' training losses (kept in checkpoints)."""

    def __init__(self, n: int = 50):
        self.n, self.values = n, []

    def on_batch_end(self, trainer, step, logs) -> None:
        self.values = (self.values + [logs["train_loss"]])[-self.n:]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def state_dict(self) -> dict:
        return {"values": self.values}

    def load_state_dict(self, state: dict) -> None:
        self.values = list(state["values"])


def train_metric(config: dict, x, y, loss_name: str, run_dir=None, resume: bool = False,
                 progress: bool = False) -> tuple:
    """A siamese EmbeddingNet trained with ``loss_name`` for ``steps`` Adam steps on the training
    loop (checkpointed in ``run_dir``); returns (net, mean loss of the last 50 steps, seconds of
    training)."""
    manual_seed(config["seed"])
    net = SiameseNet(EmbeddingNet(x.shape[1], config["dim"], tuple(config["channels"]),
                                  config["hidden"], x.shape[-1]))
    step = LossStep(net, optim.Adam(net.parameters(), lr=config["lr"]),
                    metric_loss(loss_name, config["margin"]))
    recent = RecentLosses()
    loop = Loop(step, callbacks=[recent], run_dir=run_dir, progress=progress)
    loop.fit(metric_batches(loss_name, x, y, config), epochs=1, resume=resume)
    return net, recent.mean, loop.elapsed


@register("metric-mnist", "siamese CNN with contrastive and triplet losses: a learned 2-D distance on "
          "MNIST, nearest-neighbour accuracy and a plot of the space", METRIC)
def run_metric(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    unknown = [name for name in config["losses"] if name not in LOSSES]
    if unknown:
        raise RecipeError(f"metric-mnist: losses are 'contrastive' and 'triplet', got {unknown}")
    start_run(config, run_dir, resume, several=True)
    a = vision_arrays(config)
    print(f"run folder: {run_dir.path}\ndata: {a['description']}", flush=True)
    results, plots = {}, []
    for loss_name in config["losses"]:
        sub, sub_resume = sub_run(run_dir, loss_name, config, resume)
        net, final_loss, seconds = train_metric(config, a["x_train"], a["y_train"], loss_name,
                                                sub, sub_resume, progress)
        train_emb, test_emb = embed(net, a["x_train"]), embed(net, a["x_test"])
        acc = nearest_neighbour_accuracy(train_emb, a["y_train"], test_emb, a["y_test"])
        results[loss_name] = {"nn_accuracy": acc, "final_loss": final_loss, "seconds": seconds}
        path = os.path.join(run_dir.plots, f"embedding_{loss_name}.png")
        method = "none" if config["dim"] == 2 else "pca"
        close(plot_embedding(test_emb, a["y_test"], method, class_names=a["classes"], path=path,
                             title=f"Learned {config['dim']}-D space ({loss_name} loss), test digits"))
        plots.append(path)
        print(f"{loss_name}: nearest-neighbour test accuracy {acc:.4f}", flush=True)
    lines = [f"- data: {a['description']}",
             f"- siamese EmbeddingNet to {config['dim']}-D, {config['steps']} Adam steps of "
             f"{config['batch_size']} pairs/triplets, margin {config['margin']}", "",
             "| loss | 1-NN test accuracy in the learned space | final loss |", "|---|---|---|"]
    lines += [f"| {k} | **{100 * v['nn_accuracy']:.2f}%** | {v['final_loss']:.4f} |"
              for k, v in results.items()]
    lines += [""] + [line for p in plots
                     for line in (f"![{os.path.basename(p)[:-4]}](plots/{os.path.basename(p)})", "")]
    print(f"report: {write_report(run_dir, config['recipe'], lines, config)}", flush=True)
    save_json(run_dir, "results.json", results)
    return results
