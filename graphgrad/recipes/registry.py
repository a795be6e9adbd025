"""The recipe registry: a recipe is a name, a one-line description, default settings, and a
function ``run(config, run_dir) -> dict`` that trains and writes its results into the run folder."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


class RecipeError(Exception):
    """A problem a user can fix (unknown recipe, bad setting, missing data): printed as one line."""


@dataclass
class Recipe:
    name: str
    description: str
    defaults: dict
    run: Callable = field(repr=False)


RECIPES: dict[str, Recipe] = {}


def register(name: str, description: str, defaults: dict):
    """Decorator: register ``run(config, run_dir)`` as recipe ``name``."""
    def wrap(fn):
        RECIPES[name] = Recipe(name, description, dict(defaults), fn)
        return fn
    return wrap


def get(name: str) -> Recipe:
    if name not in RECIPES:
        close = [r for r in RECIPES if name.split("-")[0] in r]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `graphgrad list`"
        raise RecipeError(f"unknown recipe {name!r}{hint}")
    return RECIPES[name]


def parse_value(text: str):
    """A --set value: JSON-ish scalars (ints, floats, true/false/null) or a plain string."""
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def make_config(recipe: Recipe, overrides: dict) -> dict:
    """The recipe's defaults with ``overrides`` applied; unknown keys are refused."""
    config = dict(recipe.defaults)
    for key, value in overrides.items():
        if key not in config:
            raise RecipeError(f"recipe {recipe.name} has no setting {key!r}; its settings are: "
                              f"{', '.join(sorted(config))}")
        default = config[key]
        if isinstance(default, bool) and not isinstance(value, bool):
            raise RecipeError(f"setting {key} expects true or false, got {value!r}")
        if isinstance(default, (int, float)) and not isinstance(default, bool) and value is not None:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise RecipeError(f"setting {key} expects a number, got {value!r}")
            if not (isinstance(default, int) and isinstance(value, float)):
                value = type(default)(value)
        config[key] = value
    config["recipe"] = recipe.name
    return config
