"""Layer 11: named, complete experiments (``graphgrad list`` shows them), and the functions behind
``graphgrad run``, ``eval`` and ``predict``."""
from __future__ import annotations

from . import compare_depth, vision  # noqa: F401  (register the recipes)
from . import adversarial, inspect, metric, selection, transfer  # noqa: F401  (seeing inside)
from . import generative  # noqa: F401  (register the generative recipes)
from . import sequence  # noqa: F401  (register the sequence-model recipes)
from . import char_transformer  # noqa: F401  (register the char-transformer recipe)
from . import text_classification  # noqa: F401  (register the sentiment recipes)
from . import seq2seq_recipe  # noqa: F401  (register the seq2seq recipe)
from . import word2vec_recipe  # noqa: F401  (register the word2vec recipe)
from . import video  # noqa: F401  (register the moving-digits recipe)
from .registry import RECIPES, Recipe, RecipeError, UsageError, get, make_config
from .runs import Prediction, evaluate_run, predict_images, run_recipe

__all__ = ["RECIPES", "Prediction", "Recipe", "RecipeError", "UsageError", "evaluate_run", "get",
           "make_config", "predict_images", "run_recipe"]
