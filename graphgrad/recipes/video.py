"""Recipe ``moving-digits``: the lectures' video example. Short clips of one MNIST digit (from the
embedded sample, shrunk to 14x14) gliding across a 32x32 frame in one of four directions; a CNN
reads every frame, a GRU runs over the frame features, a Linear layer on the last state names the
digit and the direction (40 classes). Clips are generated in code from a seed."""
from __future__ import annotations

import os

import numpy as np

from .. import manual_seed, nn, optim
from ..models.cnnrnn import CNNRNN
from ..train import Trainer
from ..utils.data import DataLoader, TensorDataset
from ..viz._figure import pyplot, save_figure
from .common import save_json, start_run, write_report
from .registry import RecipeError, register

DIRECTIONS = ["up", "down", "left", "right"]
_STEP = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def make_clips(images: np.ndarray, digits: np.ndarray, frames: int = 6, size: int = 32,
               speed: int = 2, copies: int = 1, seed: int = 0):
    """Clips (N, frames, 1, size, size) float32 in [0, 1] and labels digit * 4 + direction.

    Each 28x28 digit is shrunk to 14x14 (2x2 means) and placed at a random start from which it
    moves ``speed`` pixels per frame without leaving the frame; ``copies`` clips per image."""
    rng = np.random.default_rng(seed)
    small = images.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).astype(np.float32) / 255.0
    small = np.repeat(small, copies, axis=0)
    digits = np.repeat(np.asarray(digits, dtype=np.int64), copies)
    n, travel = len(small), speed * (frames - 1)
    room = size - 14
    if travel > room:
        raise RecipeError(f"a digit moving {speed} px for {frames} frames leaves a {size}px frame")
    direction = rng.integers(0, 4, n)
    clips = np.zeros((n, frames, 1, size, size), dtype=np.float32)
    for i in range(n):
        dy, dx = _STEP[DIRECTIONS[direction[i]]]
        # start so that the whole path stays inside the frame
        y0 = rng.integers(travel if dy < 0 else 0, room - (travel if dy > 0 else 0) + 1)
        x0 = rng.integers(travel if dx < 0 else 0, room - (travel if dx > 0 else 0) + 1)
        for t in range(frames):
            y, x = y0 + dy * speed * t, x0 + dx * speed * t
            clips[i, t, 0, y:y + 14, x:x + 14] = small[i]
    return clips, digits * 4 + direction


DEFAULTS = {"frames": 6, "speed": 2, "copies": 2, "feature_dim": 128, "hidden_size": 128,
            "cell": "gru", "epochs": 6, "batch_size": 64, "lr": 2e-3, "val_fraction": 0.1,
            "train_limit": None, "seed": 0}


@register("moving-digits", "CNN per frame + GRU over frames on clips of an MNIST digit moving in "
          "one of 4 directions (embedded sample): 40 classes = digit x direction", DEFAULTS)
def run(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    manual_seed(config["seed"])
    resume = start_run(config, run_dir, resume)
    x, y, tx, ty = _clips(config)
    mean, std = float(x.mean()), float(x.std())    # standardise: 2x faster learning than [0, 1]
    x, tx = (x - mean) / std, (tx - mean) / std
    order = np.random.default_rng(config["seed"]).permutation(len(y))
    n_val = int(len(y) * config["val_fraction"])
    val_idx, train_idx = order[:n_val], order[n_val:]
    train = TensorDataset(x[train_idx], y[train_idx])
    val = TensorDataset(x[val_idx], y[val_idx]) if n_val else None
    model = CNNRNN(40, frame_size=32, feature_dim=config["feature_dim"],
                   hidden_size=config["hidden_size"], cell=config["cell"])
    optimizer = optim.Adam(model.parameters(), lr=config["lr"])
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config["epochs"])
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, scheduler, run_dir=run_dir,
                      progress=progress, topk=(1,))
    print(f"run folder: {run_dir.path}\ndata: {len(train)} training / {len(val) if val else 0} "
          f"validation / {len(ty)} test clips of {config['frames']} frames", flush=True)
    trainer.fit(DataLoader(train, batch_size=config["batch_size"], shuffle=True),
                DataLoader(val, batch_size=256) if val else None, epochs=config["epochs"],
                resume=resume)
    result = trainer.evaluate(DataLoader(TensorDataset(tx, ty), batch_size=256), num_classes=40)
    pred = result["predictions"]
    acc = float((pred == ty).mean())
    digit_acc = float((pred // 4 == ty // 4).mean())
    dir_acc = float((pred % 4 == ty % 4).mean())
    metrics = {"test_accuracy": acc, "digit_accuracy": digit_acc, "direction_accuracy": dir_acc,
               "train_time_s": trainer.elapsed}
    save_json(run_dir, "test_metrics.json", metrics)
    _plot_clips(tx[:6] * std + mean, ty[:6], pred[:6], os.path.join(run_dir.plots, "clips.png"))
    lines = [f"- model: CNNRNN (2 conv layers per frame, {config['cell'].upper()} "
             f"{config['hidden_size']}), {sum(p.numel() for p in model.parameters()):,} parameters",
             f"- data: {len(train)} training clips, {len(ty)} test clips (test digits never seen "
             "in training), 40 classes = 10 digits x 4 directions",
             f"- {len(trainer.history)} epochs, {trainer.elapsed:.0f} s", "",
             f"- **test accuracy (digit and direction): {100 * acc:.2f}%**",
             f"- digit alone: {100 * digit_acc:.2f}%, direction alone: {100 * dir_acc:.2f}%", "",
             "| epoch | train loss | train acc | val acc |", "|---|---|---|---|"]
    for row in trainer.history:
        lines.append(f"| {row['epoch']} | {row['train_loss']:.4f} | {row['train_acc']:.4f} | "
                     f"{row.get('val_acc', float('nan')):.4f} |")
    lines += ["", "![test clips](plots/clips.png)"]
    write_report(run_dir, "moving-digits", lines)
    print(f"test accuracy {acc:.4f} (digit {digit_acc:.4f}, direction {dir_acc:.4f}); report: "
          f"{run_dir.file('report.md')}", flush=True)
    return metrics


def _clips(config: dict):
    """(training clips, labels, test clips, labels) from the embedded sample's digits: the
    training digits (a random ``train_limit`` of them) and unseen test digits."""
    from ..vision.datasets import MNISTSample

    train_src, test_src = MNISTSample(train=True), MNISTSample(train=False)
    images, digits = train_src.data.numpy(), train_src.targets.numpy()
    limit = config["train_limit"]
    pick = np.random.default_rng(config["seed"]).permutation
    if limit:          # a random subset (the sample is stored class by class)
        keep = pick(len(digits))[:limit]
        images, digits = images[keep], digits[keep]
    x, y = make_clips(images, digits, config["frames"], speed=config["speed"],
                      copies=config["copies"], seed=config["seed"])
    test_images, test_digits = test_src.data.numpy(), test_src.targets.numpy()
    if limit:
        keep = pick(len(test_digits))[:max(limit // 4, 40)]
        test_images, test_digits = test_images[keep], test_digits[keep]
    tx, ty = make_clips(test_images, test_digits, config["frames"], speed=config["speed"],
                        seed=config["seed"] + 1)
    return x, y, tx, ty


def _plot_clips(clips, labels, preds, path) -> None:
    plt = pyplot()
    n, t = clips.shape[0], clips.shape[1]
    fig, axes = plt.subplots(n, t, figsize=(1.2 * t, 1.3 * n), squeeze=False)
    for i in range(n):
        for j in range(t):
            ax = axes[i][j]
            ax.imshow(clips[i, j, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        truth = f"{labels[i] // 4} {DIRECTIONS[labels[i] % 4]}"
        guess = f"{preds[i] // 4} {DIRECTIONS[preds[i] % 4]}"
        axes[i][0].set_ylabel(f"{truth}\n({guess})", fontsize=8)
    fig.suptitle("test clips: truth (prediction)")
    save_figure(fig, path)
    plt.close(fig)
