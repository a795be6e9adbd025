"""What every recipe shares: starting or resuming a run in its folder, writing ``report.md`` and
JSON results, and predicting in batches.

Resuming (``graphgrad run --resume DIR``): a recipe calls ``start_run`` first. It refuses, before
anything in the folder is written, a change of ``epochs`` that the run cannot take (fewer epochs
than already trained, or a recipe made of several trainings, where finished ones would not get
the new number), and says so in one line; otherwise it writes the (updated) ``config.json`` and
tells whether a checkpoint exists. A run killed before its first checkpoint starts again from its
beginning (the same seed gives the same run). Recipes made of several short trainings that keep
no checkpoints call ``refuse_resume``. On several ranks only rank 0 writes (``is_main_process``).
"""
from __future__ import annotations

import json
import os

import numpy as np

from .. import autograd, tensor
from ..distributed import is_main_process
from ..train import RunDir, atomic_write_text
from ..train.checkpoint import progress as checkpoint_progress
from ..viz._figure import pyplot, save_figure
from .registry import RecipeError


def start_run(config: dict, run_dir, resume: bool, *, several: bool = False) -> bool:
    """Begin the run in ``run_dir`` (write ``config.json``), or check that it can continue as
    ``config`` says (see the module docstring). Returns True when a checkpoint in ``run_dir`` is
    to be resumed. ``several``: the run trains several models in subfolders (its ``epochs`` cannot
    change on resume)."""
    name = config["recipe"]
    if resume and os.path.exists(run_dir.file(RunDir.CONFIG)):
        before = run_dir.read_config()
        if config.get("epochs") != before.get("epochs"):
            _check_new_epochs(name, before.get("epochs"), config.get("epochs"), run_dir, several)
    if is_main_process():
        if resume:
            run_dir.remove_temporary_files()  # what a killed write left, in subfolders too
        run_dir.write_config(config)
    if several or not resume:
        return False
    if os.path.exists(run_dir.checkpoint):
        return True
    print(f"{run_dir.path} has no checkpoint yet: the run starts from its beginning", flush=True)
    return False


def _check_new_epochs(name: str, before, after, run_dir, several: bool) -> None:
    if before is None:
        raise RecipeError(f"--resume: {name} has no epochs setting to change")
    if several:
        raise RecipeError(f"--resume: {name} trains several models, and those already finished "
                          f"had {before} epochs; it cannot continue with {after} (start a new run)")
    if not isinstance(after, int) or after < 1:
        raise RecipeError(f"--resume: epochs must be a whole number >= 1, got {after!r}")
    if os.path.exists(run_dir.checkpoint):
        done = checkpoint_progress(run_dir.checkpoint)
        least = done["epoch"] + (1 if done["in_epoch"] else 0)
        if after < least:
            raise RecipeError(f"--resume: the run has reached epoch {least}; it cannot end after "
                              f"{after} epochs")


def sub_run(run_dir, name: str, config: dict, resume: bool):
    """``(RunDir of subfolder name, whether its checkpoint is to be resumed)`` for one of the
    trainings of a recipe that trains several; a subfolder starting afresh gets its config."""
    sub = RunDir(os.path.join(run_dir.path, name))
    has_checkpoint = resume and os.path.exists(sub.checkpoint)
    if not has_checkpoint:
        sub.write_config(config)
    return sub, has_checkpoint


def refuse_resume(config: dict, resume: bool, why: str) -> None:
    """For recipes that keep no checkpoint: a one-line refusal of ``--resume``, saying why."""
    if resume:
        raise RecipeError(f"--resume: {config['recipe']} cannot be resumed ({why}); run it again")


def finished(run_dir, name: str = "test_metrics.json"):
    """The JSON results a finished training left in ``run_dir`` (None if it has not finished)."""
    path = run_dir.file(name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ------------------------------------------------------------------ results
def save_json(run_dir, name: str, obj) -> str:
    """Write ``obj`` as indented JSON to ``run_dir/name`` (atomically); returns the path."""
    path = run_dir.file(name)
    atomic_write_text(path, json.dumps(obj, indent=2) + "\n")
    return path


def settings_lines(config: dict) -> list:
    return (["## Settings", "", "| setting | value |", "|---|---|"]
            + [f"| {k} | `{json.dumps(v)}` |" for k, v in sorted(config.items())])


def plot_lines(paths, run_dir) -> list:
    """Markdown images for the plots at ``paths``, relative to the run folder."""
    out = []
    for p in paths:
        out += [f"![{os.path.splitext(os.path.basename(p))[0]}]({os.path.relpath(p, run_dir.path)})",
                ""]
    return out


def write_report(run_dir, title: str, lines: list, config: dict | None = None) -> str:
    """``report.md``: ``# Run report: title``, the recipe's own lines, then (given ``config``)
    the settings table. Returns its path."""
    out = [f"# Run report: {title}", ""] + list(lines)
    if config is not None:
        out += [""] + settings_lines(config)
    path = run_dir.file("report.md")
    atomic_write_text(path, "\n".join(out) + "\n")
    return path


def close(fig) -> None:
    pyplot().close(fig)


def finish_plot(fig, ax, path: str, xlabel: str, ylabel: str, title: str, *,
                title_size=None, legend_size=None) -> str:
    """Label ``ax``, add its legend and a light grid, save ``fig`` as a PNG at ``path`` and close
    it; returns ``path``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, **({"fontsize": title_size} if title_size else {}))
    ax.grid(alpha=0.3)
    ax.legend(**({"fontsize": legend_size} if legend_size else {}))
    save_figure(fig, path)
    close(fig)
    return path


# ------------------------------------------------------------------ predicting
def predict(fn, x, batch: int = 500) -> np.ndarray:
    """``fn(Tensor of rows of x)`` over ``x`` (N, ...) in batches of ``batch``, in eval mode
    (``fn`` a module) without a graph, as one NumPy array."""
    if hasattr(fn, "eval"):
        fn.eval()
    with autograd.no_grad():
        return np.concatenate([np.asarray(fn(tensor(x[i:i + batch])).numpy())
                               for i in range(0, len(x), batch)])


def accuracy(model, x, y, batch: int = 500) -> float:
    """Fraction of rows of ``x`` whose argmax prediction is their label ``y``."""
    return float((predict(model, x, batch).argmax(1) == y).mean())
