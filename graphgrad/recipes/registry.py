"""The recipe registry: a recipe is a name, a one-line description, default settings, rules its
settings must obey, and a function ``run(config, run_dir) -> dict`` that trains and writes its
results into the run folder.

Settings are checked when the config is made, before any run folder exists: a key every recipe
shares (``epochs``, ``batch_size``, ``lr``, ...) by the common rules below, and any other by the
``checks`` its recipe declares in ``register``."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable


class UsageError(Exception):
    """A problem the user can fix (an unknown recipe, a bad setting, a missing or damaged file, a
    folder that cannot be written): the ``graphgrad`` command prints it as one line and exits 2."""


RecipeError = UsageError  # the name the recipes were written with


@dataclass(frozen=True)
class Check:
    """A rule for one setting: ``test(value) -> bool`` and what it expects, in words ("an integer
    >= 1"). With ``numeric``, only finite numbers get to ``test``. A list value is checked element
    by element (``lr=[0.003, 0.3]``, a search range); ``allow_none`` lets None (off) through."""

    test: Callable[[object], bool]
    expects: str
    allow_none: bool = False
    numeric: bool = True

    def problem(self, key: str, value) -> str | None:
        """Why ``value`` breaks the rule, in one line, or None if it obeys."""
        if value is None and self.allow_none:
            return None
        values = value if isinstance(value, list) else [value]
        if values and all((not self.numeric or _finite_number(v)) and self.test(v) for v in values):
            return None
        return f"setting {key} must be {self.expects}, got {value!r}"


def _finite_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def integer_at_least(low: int, allow_none: bool = False) -> Check:
    """An integer ``>= low`` (3.0 is refused: the recipe would get a float)."""
    return Check(lambda v: isinstance(v, int) and v >= low, f"an integer >= {low}", allow_none)


def number_above(low: float, allow_none: bool = False) -> Check:
    """A finite number ``> low``."""
    return Check(lambda v: v > low, f"a number > {low:g}", allow_none)


def number_at_least(low: float, allow_none: bool = False) -> Check:
    """A finite number ``>= low``."""
    return Check(lambda v: v >= low, f"a number >= {low:g}", allow_none)


def number_in(low: float, high: float, include_high: bool = True, allow_none: bool = False) -> Check:
    """A finite number in ``[low, high]`` (or ``[low, high)``)."""
    bracket = "]" if include_high else ")"
    return Check((lambda v: low <= v <= high) if include_high else (lambda v: low <= v < high),
                 f"a number in [{low:g}, {high:g}{bracket}", allow_none)


def one_of(*choices, allow_none: bool = False) -> Check:
    """One of ``choices`` (for a list value: each element one of them)."""
    return Check(lambda v: v in choices, "one of " + ", ".join(map(str, choices)), allow_none,
                 numeric=False)


# Settings that mean the same thing in every recipe that has them. A recipe's own ``checks`` win.
COMMON_CHECKS: dict[str, Check] = {
    "epochs": integer_at_least(1),
    "pretrain_epochs": integer_at_least(1),
    "batch_size": integer_at_least(1),
    "finetune_batch": integer_at_least(1),
    "steps": integer_at_least(1),
    "lr": number_above(0),
    "d_lr": number_above(0, allow_none=True),
    "cbow_lr": number_above(0),
    "head_lr": number_above(0),
    "finetune_lr": number_above(0),
    "seed": integer_at_least(0),
    "split_seed": integer_at_least(0),
    "data_seed": integer_at_least(0),
    "momentum": number_at_least(0),
    "weight_decay": number_at_least(0),
    "val_fraction": number_in(0, 1, include_high=False),
    "dropout": number_in(0, 1, include_high=False),
    "label_smoothing": number_in(0, 1),
    "erasing": number_in(0, 1),
    "mixup": number_at_least(0),
    "cutmix": number_at_least(0),
    "clip_grad_norm": number_above(0, allow_none=True),
    "early_stopping": integer_at_least(1, allow_none=True),
    "limit": integer_at_least(1, allow_none=True),
    "train_limit": integer_at_least(1, allow_none=True),
    "test_limit": integer_at_least(1, allow_none=True),
    "hidden_size": integer_at_least(1),
    "embedding_dim": integer_at_least(1),
    "latent_dim": integer_at_least(1),
    "num_layers": integer_at_least(1),
}


@dataclass
class Recipe:
    name: str
    description: str
    defaults: dict
    run: Callable = field(repr=False)
    checks: dict = field(default_factory=dict, repr=False)


RECIPES: dict[str, Recipe] = {}


def register(name: str, description: str, defaults: dict, checks: dict | None = None):
    """Decorator: register ``run(config, run_dir)`` as recipe ``name``. ``checks`` maps setting
    names to ``Check`` rules of this recipe (see ``integer_at_least``, ``one_of``, ...), checked
    with the common ones before a run folder is created."""
    def wrap(fn):
        unknown = set(checks or ()) - set(defaults)
        if unknown:
            raise ValueError(f"register({name!r}): checks for settings it does not have: "
                             f"{sorted(unknown)}")
        RECIPES[name] = Recipe(name, description, dict(defaults), fn, dict(checks or {}))
        return fn
    return wrap


def get(name: str) -> Recipe:
    if name not in RECIPES:
        close = [r for r in RECIPES if name.split("-")[0] in r]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `graphgrad list`"
        raise UsageError(f"unknown recipe {name!r}{hint}")
    return RECIPES[name]


def parse_value(text: str):
    """A --set value: JSON-ish scalars (ints, floats, true/false/null) or a plain string."""
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def make_config(recipe: Recipe, overrides: dict) -> dict:
    """The recipe's defaults with ``overrides`` applied and checked; unknown keys are refused."""
    config = dict(recipe.defaults)
    for key, value in overrides.items():
        if key not in config:
            raise UsageError(f"recipe {recipe.name} has no setting {key!r}; its settings are: "
                             f"{', '.join(sorted(config))}")
        default = config[key]
        if isinstance(default, bool) and not isinstance(value, bool):
            raise UsageError(f"setting {key} expects true or false, got {value!r}")
        if isinstance(default, (int, float)) and not isinstance(default, bool) and value is not None:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise UsageError(f"setting {key} expects a number, got {value!r}")
            if not (isinstance(default, int) and isinstance(value, float)):
                value = type(default)(value)
        config[key] = value
    check_settings(recipe, config)
    config["recipe"] = recipe.name
    return config


def check_settings(recipe: Recipe, config: dict, keys=None) -> None:
    """Raise ``UsageError`` for the first setting of ``config`` (or of ``keys``) that breaks its
    rule: the recipe's own check for it, else the common one."""
    for key in sorted(config if keys is None else keys):
        check = recipe.checks.get(key) or COMMON_CHECKS.get(key)
        if check is not None and key in config:
            problem = check.problem(key, config[key])
            if problem:
                raise UsageError(f"{recipe.name}: {problem}")
