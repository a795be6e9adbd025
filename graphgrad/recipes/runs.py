"""Start, resume, evaluate and predict with run folders."""
from __future__ import annotations

import os

import numpy as np

from .. import load, no_grad
from ..train import RunDir, evaluate
from .registry import RecipeError, get, make_config


def run_recipe(name: str, overrides: dict | None = None, out: str = "runs", resume: str | None = None,
               progress: bool = True):
    """Run recipe ``name`` with ``overrides`` in a new folder under ``out``; or, with ``resume``
    (a run folder), continue that run from its last checkpoint (only ``epochs`` may change)."""
    overrides = dict(overrides or {})
    if resume:
        run_dir = RunDir(resume) if os.path.isdir(resume) else None
        if run_dir is None:
            raise RecipeError(f"--resume {resume}: no such run folder")
        config = run_dir.read_config()
        recipe = get(config["recipe"].split("/")[0])
        unexpected = set(overrides) - {"epochs"}
        if unexpected:
            raise RecipeError(f"--resume continues a run as configured; only --epochs may change "
                              f"(got {', '.join(sorted(unexpected))})")
        config.update(overrides)
        return recipe.run(config, run_dir, resume=True, progress=progress)
    recipe = get(name)
    config = make_config(recipe, overrides)
    run_dir = RunDir.create(out, recipe.name)
    return recipe.run(config, run_dir, resume=False, progress=progress)


def _load_trained(run_dir_path: str, data_path=None):
    from .vision_data import load_vision_data
    from .zoo import build_model, classifier_args

    run_dir = RunDir(run_dir_path)
    config = run_dir.read_config()
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
        raise RecipeError(f"{run_dir_path} has no checkpoint.npz (did the run finish an epoch?)")
    model.load_state_dict(load(run_dir.checkpoint)["model"])
    model.eval()
    return run_dir, config, model, data


def evaluate_run(run_dir_path: str, data=None) -> dict:
    """Evaluate a run's trained model on its test data (or ``data``) and print the figures."""
    from ..utils.data import DataLoader
    from .. import nn

    run_dir, config, model, vdata = _load_trained(run_dir_path, data)
    result = evaluate(model, DataLoader(vdata.test, batch_size=256), nn.CrossEntropyLoss(),
                      num_classes=len(vdata.classes))
    print(f"{config['recipe']} on {vdata.description}")
    print(f"test accuracy {result['accuracy']:.4f}, top-5 {result['top5']:.4f}, "
          f"loss {result['loss']:.4f}")
    for i, name in enumerate(vdata.classes):
        print(f"  {name:>12}: precision {result['precision'][i]:.3f} recall {result['recall'][i]:.3f} "
              f"F1 {result['f1'][i]:.3f}")
    return result


def predict_images(run_dir_path: str, paths) -> list:
    """Classify image files (PNG/JPEG) with a trained run; returns (path, class, probability)."""

    run_dir, config, model, vdata = _load_trained(run_dir_path)
    channels, height, width = vdata.input_size
    results = []
    for path in paths:
        if not os.path.exists(path):
            raise RecipeError(f"predict: no such image file {path}")
        image = _read_image(path, channels, height, width)
        x = vdata.test.transform(image)
        with no_grad():
            probs = model(x.unsqueeze(0)).softmax(dim=1).numpy()[0]
        k = int(probs.argmax())
        results.append((path, vdata.classes[k], float(probs[k])))
    return results


def _read_image(path: str, channels: int, height: int, width: int) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        raise RecipeError("predict needs Pillow to read images (pip install pillow)") from None
    try:
        img = Image.open(path)
        img = img.convert("L" if channels == 1 else "RGB")
    except OSError as exc:
        raise RecipeError(f"predict: cannot read {path} as an image ({exc})") from None
    if img.size != (width, height):
        img = img.resize((width, height))
    array = np.asarray(img, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array
