"""Start, resume, evaluate and predict with run folders.

A new run's folder is created only once its settings have passed their checks, and it is removed
again if the run fails (an error, Ctrl-C) before it wrote its first checkpoint: a folder under
``runs/`` is a finished run or one that ``--resume`` can continue. On several ranks
(``recipes.ranks``) rank 0 makes the folder and tells the others its path."""
from __future__ import annotations

import os
import shutil
from typing import NamedTuple

import numpy as np

from .. import load, no_grad
from ..distributed import is_main_process, rank_and_world_size
from ..train import RunDir, evaluate
from .ranks import check_ranks, on_main, quiet_unless_main
from .registry import RecipeError, UsageError, check_settings, get, make_config


def run_recipe(name: str, overrides: dict | None = None, out: str = "runs", resume: str | None = None,
               progress: bool = True):
    """Run recipe ``name`` with ``overrides`` in a new folder under ``out``; or, with ``resume``
    (a run folder of that recipe), continue that run from its last checkpoint (only ``epochs`` may
    change). Raises ``UsageError`` for anything the caller can fix, before any folder is made.
    In a process group of several ranks every rank calls it (see ``recipes.ranks``)."""
    overrides = dict(overrides or {})
    nproc = rank_and_world_size()[1]
    if resume:
        check_resume(name, resume, overrides)
        run_dir = RunDir(resume) if os.path.isdir(resume) else None
        if run_dir is None:
            raise RecipeError(f"--resume {resume}: no such run folder")
        config = run_dir.read_config()
        recipe = get(config["recipe"].split("/")[0])
        config.update(overrides)
        check_ranks(recipe.name, config, nproc)
        with quiet_unless_main():
            return recipe.run(config, run_dir, resume=True, progress=progress)
    recipe = get(name)
    config = make_config(recipe, overrides)
    check_ranks(recipe.name, config, nproc)
    made, path = on_main(lambda: (_missing_folders(out), _new_run_dir(out, recipe.name).path))
    run_dir = RunDir(path)
    try:
        with quiet_unless_main():
            return recipe.run(config, run_dir, resume=False, progress=progress)
    except BaseException:
        if is_main_process():
            _remove_unless_checkpointed(run_dir.path, made)
        raise


def open_run(path: str, command: str) -> tuple[RunDir, dict]:
    """The run folder at ``path`` and its config, for ``command`` (the words that start an error
    message). Checked before anything is opened, so that a mistyped path creates nothing."""
    if not os.path.exists(path):
        raise UsageError(f"{command}: {path}: no such run folder")
    if not os.path.isdir(path):
        raise UsageError(f"{command}: {path} is a file, not a run folder")
    if not os.path.isfile(os.path.join(path, RunDir.CONFIG)):
        raise UsageError(f"{command}: {path} is not a run folder (it has no {RunDir.CONFIG})")
    run_dir = RunDir(path)
    try:
        config = run_dir.read_config()
    except ValueError as exc:  # not UTF-8, not JSON
        raise UsageError(f"{command}: {run_dir.file(RunDir.CONFIG)} is damaged ({exc})") from None
    if not isinstance(config, dict) or not isinstance(config.get("recipe"), str):
        raise UsageError(f"{command}: {run_dir.file(RunDir.CONFIG)} is damaged (it names no recipe)")
    return run_dir, config


def check_resume(name: str | None, resume: str, overrides: dict) -> None:
    """Refuse a resume that names another recipe than the folder's, a bad new setting, or a
    changed setting other than ``epochs``."""
    _, config = open_run(resume, "--resume")
    recipe_name = config["recipe"].split("/")[0]
    if name is not None and name != recipe_name:
        raise UsageError(f"--resume {resume}: that folder holds a {recipe_name} run, not {name}; "
                         f"to continue it: graphgrad run {recipe_name} --resume {resume}")
    check_settings(get(recipe_name), {**config, **overrides}, keys=overrides)
    unexpected = set(overrides) - {"epochs"}
    if unexpected:
        raise RecipeError(f"--resume continues a run as configured; only --epochs may change "
                          f"(got {', '.join(sorted(unexpected))})")


def _new_run_dir(out: str, name: str) -> RunDir:
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out} is a file; run folders go into a folder")
    try:
        return RunDir.create(out, name)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create a run folder there ({exc.strerror})") from None


def _missing_folders(out: str) -> list[str]:
    """The folders of the path ``out`` that do not exist yet, deepest first."""
    missing, path = [], os.path.abspath(out)
    while not os.path.exists(path):
        missing.append(path)
        path = os.path.dirname(path)
    return missing


def _remove_unless_checkpointed(path: str, made: list[str]) -> None:
    """Remove a new run's folder if no checkpoint of it (or of a sub-run) was written, and the
    folders above it that were ``made`` for it, if they are empty now."""
    if any(RunDir.CHECKPOINT in files for _, _, files in os.walk(path)):
        return
    shutil.rmtree(path, ignore_errors=True)
    for folder in made:
        try:
            os.rmdir(folder)
        except OSError:  # not empty (another run started there meanwhile), or gone
            break


def _load_trained(run_dir_path: str, data_path=None, command: str = "a trained run"):
    from .vision_data import load_vision_data
    from .zoo import build_model, classifier_args

    run_dir, config = open_run(run_dir_path, command)
    if "model" not in config or "dataset" not in config:
        raise RecipeError(f"{run_dir_path}: this run's recipe ({config.get('recipe')}) has no single "
                          "classifier to evaluate")
    if data_path is not None:
        config["data"] = data_path
    data = load_vision_data(config)
    model = build_model(config["model"], **classifier_args(config["model"], data.input_size,
                                                            len(data.classes),
                                                            config.get("model_args")))
    if not os.path.exists(run_dir.checkpoint):
        raise UsageError(f"{command}: {run_dir_path} has no checkpoint.npz (did the run finish an "
                         "epoch?)")
    state = load(run_dir.checkpoint)
    try:
        model.load_state_dict(state["model"])
    except (KeyError, TypeError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise UsageError(f"{command}: {run_dir.checkpoint} does not fit the model that "
                         f"{RunDir.CONFIG} describes ({first})") from None
    model.eval()
    return run_dir, config, model, data


def evaluate_run(run_dir_path: str, data=None) -> dict:
    """Evaluate a run's trained model on its test data (or ``data``) and print the figures."""
    from ..utils.data import DataLoader
    from .. import nn

    run_dir, config, model, vdata = _load_trained(run_dir_path, data, "eval")
    result = evaluate(model, DataLoader(vdata.test, batch_size=256), nn.CrossEntropyLoss(),
                      num_classes=len(vdata.classes))
    print(f"{config['recipe']} on {vdata.description}")
    print(f"test accuracy {result['accuracy']:.4f}, top-5 {result['top5']:.4f}, "
          f"loss {result['loss']:.4f}")
    for i, name in enumerate(vdata.classes):
        print(f"  {name:>12}: precision {result['precision'][i]:.3f} recall {result['recall'][i]:.3f} "
              f"F1 {result['f1'][i]:.3f}")
    return result


class Prediction(NamedTuple):
    """One image's predicted class; ``note`` says how the image was adapted to the model's input
    (``"resized from 640x480 to 28x28, converted from RGB to grayscale"``) or is empty."""

    path: str
    label: str
    probability: float
    note: str = ""


def predict_images(run_dir_path: str, paths) -> list[Prediction]:
    """Classify image files (PNG/JPEG) with a trained run: one ``Prediction`` per path. An image of
    another size or colour mode is resized/converted to the model's input, and the note says so."""
    run_dir, config, model, vdata = _load_trained(run_dir_path, command="predict")
    for path in paths:
        if not os.path.isfile(path):
            raise UsageError(f"predict: {path}: no such image file" if not os.path.exists(path)
                             else f"predict: {path} is a folder, not an image file")
    channels, height, width = vdata.input_size
    results = []
    for path in paths:
        image, note = _read_image(path, channels, height, width)
        x = vdata.test.transform(image)
        with no_grad():
            probs = model(x.unsqueeze(0)).softmax(dim=1).numpy()[0]
        k = int(probs.argmax())
        results.append(Prediction(path, vdata.classes[k], float(probs[k]), note))
    return results


def _read_image(path: str, channels: int, height: int, width: int) -> tuple[np.ndarray, str]:
    """The image at ``path`` as a (height, width, channels) uint8 array, and what was changed."""
    import warnings

    from PIL import Image

    mode = "L" if channels == 1 else "RGB"
    try:
        with warnings.catch_warnings():  # Pillow only warns between its limit and twice that
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
        changes = []
        if img.size != (width, height):
            changes.append(f"resized from {img.size[0]}x{img.size[1]} to {width}x{height}")
        if img.mode != mode:
            changes.append(f"converted from {img.mode} to {_MODE_NAMES.get(mode, mode)}")
        img = img.convert(mode)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UsageError(f"predict: {path} is refused: it has more than "
                         f"{Image.MAX_IMAGE_PIXELS:,} pixels, too many to decode safely (a "
                         f"decompression bomb?); shrink it to about {width}x{height}") from None
    except OSError as exc:
        raise UsageError(f"predict: cannot read {path} as an image ({exc})") from None
    if img.size != (width, height):
        img = img.resize((width, height))
    array = np.asarray(img, dtype=np.uint8)
    return (array[:, :, None] if array.ndim == 2 else array), ", ".join(changes)


_MODE_NAMES = {"L": "grayscale", "RGB": "RGB"}
