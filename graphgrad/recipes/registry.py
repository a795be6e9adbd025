"""The recipe registry: a recipe is a name, a one-line description, default settings, rules its
settings must obey, and a function ``run(config, run_dir) -> dict`` that trains and writes its
results into the run folder.

Settings are checked when the config is made, before any run folder exists: by the rules of
``settings.SETTING_CHECKS`` and the ``checks`` a recipe declares in ``register``."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from .settings import SETTING_CHECKS, Check


class UsageError(Exception):
    """A problem the user can fix (an unknown recipe, a bad setting, a missing or damaged file, a
    folder that cannot be written): the ``graphgrad`` command prints it as one line and exits 2."""


RecipeError = UsageError  # the name the recipes were written with


@contextmanager
def user_file(what: str):
    """Around the reading of a file or folder the user named (``what``: ``"--data PATH"``): a
    missing file, or content the reader rejects (a ``ValueError`` such as a wrong magic number, a
    truncated file, text that is not UTF-8), becomes a ``UsageError`` starting with ``what``. Keep
    the block to the reading itself, so that a bug elsewhere still shows its traceback."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                         f"{exc.start})") from None
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        if exc.strerror is None:  # the reader's own message ("dataset files not found ...")
            raise UsageError(f"{what}: {exc}") from None
        where = "" if exc.filename is None or str(exc.filename) in what else f" ({exc.filename})"
        raise UsageError(f"{what}: {exc.strerror}{where}") from None
    except ValueError as exc:
        raise UsageError(f"{what}: {exc}") from None


@dataclass
class Recipe:
    name: str
    description: str
    defaults: dict
    run: Callable = field(repr=False)
    checks: dict[str, Check] = field(default_factory=dict, repr=False)
    #: trains data-parallel on several ranks (``graphgrad run RECIPE --nproc N``)
    data_parallel: bool = False


RECIPES: dict[str, Recipe] = {}


def register(name: str, description: str, defaults: dict, checks: dict | None = None, *,
             data_parallel: bool = False):
    """Decorator: register ``run(config, run_dir)`` as recipe ``name``. ``checks`` maps setting
    names to this recipe's own ``settings.Check`` rules (``integer_at_least(2)``, ``one_of("a",
    "b")``, ...), which replace the shared rule of the same name; all are checked before a run
    folder is created. ``data_parallel``: the recipe trains on several ranks (one training on the
    loop, its results written by rank 0 only; see ``recipes.ranks``)."""
    def wrap(fn):
        unknown = set(checks or ()) - set(defaults)
        if unknown:
            raise ValueError(f"register({name!r}): checks for settings it does not have: "
                             f"{sorted(unknown)}")
        RECIPES[name] = Recipe(name, description, dict(defaults), fn, dict(checks or {}),
                               data_parallel)
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
        for kind, words in ((str, "text"), (list, "a list"), (dict, "a JSON object")):
            if isinstance(default, kind) and not isinstance(value, kind):
                example = json.dumps(default) if default else ("[...]" if kind is list else "{...}")
                raise UsageError(f"setting {key} expects {words} such as {example}, got {value!r}")
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
    rule: the recipe's own check for it, else the shared one."""
    for key in sorted(config if keys is None else keys):
        check = recipe.checks.get(key) or SETTING_CHECKS.get(key)
        if check is not None and key in config:
            problem = check.problem(key, config[key], isinstance(recipe.defaults.get(key), list))
            if problem:
                raise UsageError(f"{recipe.name}: {problem}")
