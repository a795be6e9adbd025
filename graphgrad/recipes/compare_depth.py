"""Recipe ``resnet-vs-plain``: the He et al. (2015) Fig. 1 / Fig. 6 experiment in small. Plain and
residual CIFAR-style networks of two depths are trained with identical settings, and their training
error curves share one plot: the deeper plain net trains worse than the shallower one, the deeper
residual net does not."""
from __future__ import annotations

import json
import os

from .. import manual_seed
from ..train import RunDir, atomic_write_text
from ..viz._figure import pyplot, save_figure
from .classification import train_classifier
from .registry import register
from .vision import BASE
from .vision_data import load_vision_data
from .zoo import build_model

DEFAULTS = dict(BASE, dataset="mnist", pad_to=32, model="resnet", depths=[8, 20], epochs=4,
                batch_size=128, lr=0.1, weight_decay=1e-4, scheduler="cosine", val_fraction=0.1)


@register("resnet-vs-plain", "plain vs residual nets of two depths, training-error curves on one "
          "plot (MNIST sample padded to 32x32 by default; CIFAR-10 with --data)", DEFAULTS)
def run(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    if config.get("data") and config["dataset"] == "mnist" and "cifar" in str(config["data"]).lower():
        config = dict(config, dataset="cifar10", pad_to=None)
    run_dir.write_config(config)
    results = {}
    for depth in config["depths"]:
        for kind in ("plain", "resnet"):
            name = f"{kind}{depth}"
            sub = RunDir(os.path.join(run_dir.path, name))
            sub_config = dict(config, model=name, recipe=f"{config['recipe']}/{name}")
            sub_resume = resume and os.path.exists(sub.checkpoint)
            if sub_resume and os.path.exists(sub.file("test_metrics.json")):
                with open(sub.file("test_metrics.json")) as f:
                    done = json.load(f)
                results[name] = {"history": sub.read_metrics(), **done}
                continue
            manual_seed(config["seed"])
            data = load_vision_data(sub_config)
            model = build_model(name, in_channels=data.input_size[0], num_classes=len(data.classes))
            results[name] = train_classifier(sub_config, sub, model, data, resume=sub_resume,
                                             progress=progress)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, res in results.items():
        epochs = [r["epoch"] for r in res["history"]]
        error = [100 * (1 - r["train_acc"]) for r in res["history"]]
        ax.plot(epochs, error, linestyle="--" if name.startswith("plain") else "-", marker="o",
                markersize=3, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training error (%)")
    ax.set_title("Plain vs residual networks")
    ax.legend()
    ax.grid(alpha=0.3)
    plot_path = os.path.join(run_dir.plots, "training_error.png")
    save_figure(fig, plot_path)
    plt.close(fig)
    lines = ["# Run report: resnet-vs-plain", "", "| network | final training error | test error |",
             "|---|---|---|"]
    for name, res in results.items():
        lines.append(f"| {name} | {100 * (1 - res['history'][-1]['train_acc']):.2f}% | "
                     f"{100 * (1 - res['test_accuracy']):.2f}% |")
    lines += ["", "![training error](plots/training_error.png)", "",
              "Each network's own run folder (curves, confusion matrix, checkpoint) is a subfolder."]
    atomic_write_text(run_dir.file("report.md"), "\n".join(lines) + "\n")
    print(f"comparison plot: {plot_path}")
    return results
