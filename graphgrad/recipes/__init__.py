"""Layer 11: named, complete experiments (``graphgrad list`` shows them), and the functions behind
``graphgrad run``, ``eval`` and ``predict``."""
from __future__ import annotations

from . import compare_depth, vision  # noqa: F401  (register the recipes)
from .registry import RECIPES, Recipe, RecipeError, get, make_config
from .runs import evaluate_run, predict_images, run_recipe

__all__ = ["RECIPES", "Recipe", "RecipeError", "evaluate_run", "get", "make_config",
           "predict_images", "run_recipe"]
