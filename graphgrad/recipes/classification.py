"""The shared runner of the image-classification recipes: build the model, optimizer and schedule
from the config, train with ``Trainer`` (validation every epoch, checkpoints), evaluate on the test
split, and write the plots and ``report.md`` into the run folder."""
from __future__ import annotations

import os

from .. import manual_seed, nn, optim
from ..distributed import is_main_process
from ..train import EarlyStopping, GradientDiagnostics, Trainer
from ..viz import plot_confusion_matrix, plot_filters, plot_loss_and_accuracy, plot_misclassified
from ..viz.gradients import plot_gradients
from ..viz._figure import pyplot
from .common import plot_lines, save_json, settings_lines, start_run, write_report
from .registry import RecipeError


def make_optimizer(config: dict, params):
    name = config["optimizer"]
    lr, wd = config["lr"], config.get("weight_decay", 0.0)
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=config.get("momentum", 0.0), weight_decay=wd,
                         nesterov=bool(config.get("nesterov", False)) and config.get("momentum", 0) > 0)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd)
    raise RecipeError(f"optimizer must be sgd, adam or adamw, got {name!r}")


def make_scheduler(config: dict, optimizer, steps_per_epoch: int):
    """Returns (scheduler or None, 'epoch' | 'batch')."""
    name = config.get("scheduler")
    epochs = config["epochs"]
    if name in (None, "none"):
        return None, "epoch"
    if name == "onecycle":
        return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config["lr"], epochs=epochs,
                                             steps_per_epoch=steps_per_epoch), "batch"
    if name == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs), "epoch"
    if name == "step":
        return optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1), "epoch"
    if name == "plateau":
        return optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2), "epoch"
    raise RecipeError(f"scheduler must be onecycle, cosine, step, plateau or none, got {name!r}")


def train_classifier(config: dict, run_dir, model, data, mixup=None, resume: bool = False,
                     progress: bool = True) -> dict:
    """Train ``model`` on ``data`` (a ``VisionData``) as ``config`` says; write every artefact.
    On several ranks the loop trains data-parallel (the loaders hold the global batch) and
    evaluates the test split over all ranks; rank 0 writes."""
    from ..utils.data import DataLoader

    manual_seed(config["seed"])
    resume = start_run(config, run_dir, resume)
    train_loader = DataLoader(data.train, batch_size=config["batch_size"], shuffle=True,
                              drop_last=False)
    val_loader = DataLoader(data.val, batch_size=256) if data.val is not None else None
    test_loader = DataLoader(data.test, batch_size=256)
    optimizer = make_optimizer(config, model.parameters())
    scheduler, when = make_scheduler(config, optimizer, len(train_loader))
    callbacks = []
    if config.get("early_stopping"):
        callbacks.append(EarlyStopping("val_acc" if val_loader else "train_loss",
                                       "max" if val_loader else "min",
                                       patience=int(config["early_stopping"])))
    # per-layer gradient health every N steps (a few norms; hooks only on sampled steps)
    callbacks.append(GradientDiagnostics(every=int(config.get("diagnostics_every", 20))))
    trainer = Trainer(model, nn.CrossEntropyLoss(label_smoothing=config.get("label_smoothing", 0.0)),
                      optimizer, scheduler, scheduler_step=when,
                      clip_grad_norm=config.get("clip_grad_norm"), mixup=mixup,
                      callbacks=callbacks, run_dir=run_dir, progress=progress)
    print(f"run folder: {run_dir.path}", flush=True)
    print(f"model: {type(model).__name__}, {sum(p.numel() for p in model.parameters()):,} "
          f"parameters; data: {data.description}", flush=True)
    trainer.fit(train_loader, val_loader, epochs=config["epochs"], resume=resume)
    result = trainer.evaluate(test_loader, num_classes=len(data.classes))
    if is_main_process():
        write_artifacts(run_dir, config, model, data, trainer.history, result, trainer.elapsed)
    print(f"test accuracy {result['accuracy']:.4f} (error {100 * (1 - result['accuracy']):.2f}%), "
          f"test loss {result['loss']:.4f}; report: {run_dir.file('report.md')}", flush=True)
    return {"test_accuracy": result["accuracy"], "test_loss": result["loss"],
            "history": trainer.history, "train_time": trainer.elapsed}


def write_artifacts(run_dir, config, model, data, history, result, train_time) -> None:
    plt = pyplot()
    plots = plot_loss_and_accuracy(history, run_dir.plots)
    confusion_path = os.path.join(run_dir.plots, "confusion_matrix.png")
    plt.close(plot_confusion_matrix(result["confusion"], data.classes, confusion_path))
    plots.append(confusion_path)
    wrong_path = os.path.join(run_dir.plots, "misclassified.png")
    images = _LazyImages(data.test)
    plt.close(plot_misclassified(images, result["targets"], result["predictions"], data.classes,
                                 path=wrong_path))
    plots.append(wrong_path)
    first_conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if first_conv is not None:
        filters_path = os.path.join(run_dir.plots, "filters.png")
        plt.close(plot_filters(first_conv.weight, filters_path))
        plots.append(filters_path)
    if os.path.exists(run_dir.file(GradientDiagnostics.FILE)):
        gradients_path = os.path.join(run_dir.plots, "gradients.png")
        plt.close(plot_gradients(run_dir.path, gradients_path))
        plots.append(gradients_path)
    save_json(run_dir, "test_metrics.json",
              {"test_accuracy": result["accuracy"], "test_loss": result["loss"],
               "test_top5": result.get("top5"), "train_time_s": train_time})
    write_report(run_dir, config["recipe"], _report(config, model, data, history, result,
                                                    train_time, plots, run_dir))


class _LazyImages:
    """Index a dataset for its images only when a plot asks for one."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __getitem__(self, i):
        return self.dataset[i][0]

    def __len__(self):
        return len(self.dataset)


def _report(config, model, data, history, result, train_time, plots, run_dir) -> list:
    n_params = sum(p.numel() for p in model.parameters())
    lines = [f"- model: `{type(model).__name__}` with {n_params:,} parameters",
             f"- data: {data.description}",
             f"- epochs: {len(history)}, training time {train_time:.1f} s",
             f"- **test accuracy: {100 * result['accuracy']:.2f}%** "
             f"(error {100 * (1 - result['accuracy']):.2f}%), test loss {result['loss']:.4f}"]
    if "top5" in result:
        lines.append(f"- test top-5 accuracy: {100 * result['top5']:.2f}%")
    lines += [""] + settings_lines(config)
    lines += ["", "## Per epoch", "", "| epoch | train loss | train acc | val loss | val acc | lr |",
              "|---|---|---|---|---|---|"]
    for row in history:
        lines.append(f"| {row['epoch']} | {row['train_loss']:.4f} | {row['train_acc']:.4f} | "
                     f"{row.get('val_loss', float('nan')):.4f} | {row.get('val_acc', float('nan')):.4f} | "
                     f"{row['lr']:.4g} |")
    lines += ["", "## Per class (test)", "", "| class | precision | recall | F1 |", "|---|---|---|---|"]
    for i, name in enumerate(data.classes):
        lines.append(f"| {name} | {result['precision'][i]:.3f} | {result['recall'][i]:.3f} | "
                     f"{result['f1'][i]:.3f} |")
    return lines + ["", "## Plots", ""] + plot_lines(plots, run_dir)


__all__ = ["train_classifier", "make_optimizer", "make_scheduler"]
