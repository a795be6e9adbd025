"""Recipe ``metric-mnist``: learn a distance function on MNIST. A siamese CNN maps digits to a 2-D
space, trained with the contrastive loss on pairs and, as a variant, with the triplet loss; the
learned space is judged by nearest-neighbour accuracy (test digits labelled by their nearest
training digit) and drawn directly, since it is 2-D."""
from __future__ import annotations

import json
import os
import time

import numpy as np

from .. import autograd, manual_seed, nn, optim, tensor
from ..models.siamese import (EmbeddingNet, SiameseNet, contrastive_loss, sample_pairs,
                              sample_triplets)
from ..train import atomic_write_text
from ..viz import plot_embedding
from .inspect import DATA, close, vision_arrays, write_report
from .registry import RecipeError, register

METRIC = dict(DATA, losses=["contrastive", "triplet"], dim=2, steps=400, batch_size=32, lr=2e-3,
              margin=1.0, channels=[8, 16], hidden=64, train_limit=None, test_limit=None)


def embed(net, x, batch: int = 500) -> np.ndarray:
    net.eval()
    with autograd.no_grad():
        return np.concatenate([net.embedding(tensor(x[i:i + batch])).numpy()
                               for i in range(0, len(x), batch)])


def nearest_neighbour_accuracy(train_emb, train_y, test_emb, test_y) -> float:
    """Fraction of test embeddings whose nearest training embedding (Euclidean) has their label."""
    d = ((test_emb ** 2).sum(1)[:, None] - 2 * test_emb @ train_emb.T + (train_emb ** 2).sum(1)[None])
    return float((train_y[d.argmin(axis=1)] == test_y).mean())


def train_metric(config: dict, x, y, loss_name: str, log) -> tuple:
    manual_seed(config["seed"])
    rng = np.random.default_rng(config["seed"])
    net = SiameseNet(EmbeddingNet(x.shape[1], config["dim"], tuple(config["channels"]),
                                  config["hidden"], x.shape[-1]))
    opt = optim.Adam(net.parameters(), lr=config["lr"])
    triplet = nn.TripletMarginLoss(margin=config["margin"])
    n = config["batch_size"]
    losses = []
    net.train()
    for step in range(1, int(config["steps"]) + 1):
        if loss_name == "contrastive":
            i, j, same = sample_pairs(y, n, rng)
            e1, e2 = net(tensor(x[i]), tensor(x[j]))
            loss = contrastive_loss(e1, e2, tensor(same), margin=config["margin"])
        elif loss_name == "triplet":
            a, p, q = sample_triplets(y, n, rng)
            loss = triplet(*net(tensor(x[a]), tensor(x[p]), tensor(x[q])))
        else:
            raise RecipeError(f"metric-mnist: losses are 'contrastive' and 'triplet', got {loss_name!r}")
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
        if step % max(1, config["steps"] // 5) == 0:
            log(f"{loss_name} step {step}: loss {np.mean(losses[-50:]):.4f}")
    return net, losses


@register("metric-mnist", "siamese CNN with contrastive and triplet losses: a learned 2-D distance on "
          "MNIST, nearest-neighbour accuracy and a plot of the space", METRIC)
def run_metric(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    run_dir.write_config(config)
    a = vision_arrays(config)
    log = (lambda s: print(s, flush=True)) if progress else (lambda s: None)
    print(f"run folder: {run_dir.path}\ndata: {a['description']}", flush=True)
    results, plots = {}, []
    for loss_name in config["losses"]:
        start = time.perf_counter()
        net, losses = train_metric(config, a["x_train"], a["y_train"], loss_name, log)
        train_emb, test_emb = embed(net, a["x_train"]), embed(net, a["x_test"])
        acc = nearest_neighbour_accuracy(train_emb, a["y_train"], test_emb, a["y_test"])
        results[loss_name] = {"nn_accuracy": acc, "final_loss": float(np.mean(losses[-50:])),
                              "seconds": time.perf_counter() - start}
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
    atomic_write_text(run_dir.file("results.json"), json.dumps(results, indent=2) + "\n")
    return results
