"""Recipe settings are checked before a run folder exists; a new run that fails before its first
checkpoint takes its folder with it; run folders are opened without creating anything."""
import errno
import json
import os

import pytest

from graphgrad.recipes import RECIPES, run_recipe
from graphgrad.recipes.registry import (RecipeError, UsageError, check_settings, get, make_config,
                                        register, user_file)
from graphgrad.recipes.runs import open_run
from graphgrad.recipes.settings import (SETTING_CHECKS, between, integer_at_least, number_above,
                                        one_of, path)


def test_every_recipe_default_obeys_the_rules():
    for recipe in RECIPES.values():
        check_settings(recipe, recipe.defaults)


def test_recipe_error_is_the_usage_error():
    assert RecipeError is UsageError


@pytest.mark.parametrize("check,good,bad", [
    (integer_at_least(1), [1, 7], [0, -1, 2.0, 2.5, True, "3", None, float("nan")]),
    (integer_at_least(1, allow_none=True), [None, 3], [0]),
    (number_above(0), [1e-9, 3, 0.5], [0, -1.0, float("inf"), float("nan"), "1", False]),
    (between(0, 1, high_open=True), [0, 0.5], [1, 1.5, -0.1]),
    (between(0, 1, low_open=True), [1, 0.5], [0]),
    (one_of("rnn", "lstm"), ["rnn", "lstm"], ["gru", 1, None]),
    (path(), [None, "runs/x"], ["", 3, ["a"]]),
])
def test_checks(check, good, bad):
    for value in good:
        assert check.problem("k", value) is None, value
    for value in bad:
        assert check.problem("k", value) == f"setting k must be {check.expects}, got {value!r}"


def test_a_list_setting_is_checked_element_by_element():
    rule = integer_at_least(1)
    assert rule.problem("hidden_sizes", [[64], [256, 128]], elementwise=True) is None
    assert "got [[64], [0]]" in rule.problem("hidden_sizes", [[64], [0]], elementwise=True)
    assert rule.problem("hidden_sizes", [], elementwise=True) is not None
    assert rule.problem("width", [1, 2]) is not None  # a scalar setting given a list


@pytest.mark.parametrize("recipe,overrides,message", [
    ("mnist-cnn", {"epochs": -1}, "setting epochs must be an integer >= 1, got -1"),
    ("mnist-cnn", {"epochs": 2.5}, "setting epochs must be an integer >= 1, got 2.5"),
    ("mnist-cnn", {"lr": float("nan")}, "setting lr must be a number > 0, got nan"),
    ("mnist-cnn", {"seed": -3}, "setting seed must be an integer >= 0"),
    ("mnist-cnn", {"val_fraction": 1.0}, "setting val_fraction must be a number in [0, 1)"),
    ("mnist-cnn", {"clip_grad_norm": [1, 2]}, "setting clip_grad_norm must be a number > 0"),
    ("mnist-cnn", {"data": 7}, "setting data must be a path"),
    ("mnist-cnn", {"model": [1]}, "setting model expects text"),
    ("mnist-cnn", {"model_args": 3}, "setting model_args expects a JSON object such as {...}"),
    ("mnist-cnn", {"augment": 1}, "setting augment expects true or false"),
    ("search-mlp", {"lr": [0.1, -1]}, "setting lr must be a number > 0, got [0.1, -1]"),
    ("search-mlp", {"hidden_sizes": 3}, "setting hidden_sizes expects a list such as [[64]"),
    ("moving-digits", {"cell": "lstmm"}, "setting cell must be one of rnn, lstm, gru"),
    ("word2vec", {"window": 0}, "setting window must be an integer >= 1"),
    ("gan-mnist", {"ema": 1.0}, "setting ema must be a number in (0, 1)"),
    ("gan-mnist", {"loss": "hinge"}, "setting loss must be one of nonsaturating, wgan-gp"),
])
def test_make_config_refuses(recipe, overrides, message):
    with pytest.raises(UsageError) as info:
        make_config(get(recipe), overrides)
    assert message in str(info.value)


def test_make_config_accepts_what_the_rules_allow():
    config = make_config(get("gan-mnist"), {"ema": None, "d_lr": 1e-3, "epochs": 2})
    assert config["ema"] is None and config["epochs"] == 2 and config["recipe"] == "gan-mnist"
    assert make_config(get("autoencoder-mnist"), {"loss": "mse"})["loss"] == "mse"  # not the GANs'


def test_a_recipe_declares_its_own_checks():
    def run(config, run_dir, resume=False, progress=True):
        return {}

    register("test-checks", "a recipe with its own rules", {"epochs": 1, "depth": 5, "mode": "a"},
             checks={"depth": integer_at_least(5), "mode": one_of("a", "b")})(run)
    try:
        recipe = get("test-checks")
        with pytest.raises(UsageError, match="setting depth must be an integer >= 5, got 4"):
            make_config(recipe, {"depth": 4})
        with pytest.raises(UsageError, match="setting mode must be one of a, b"):
            make_config(recipe, {"mode": "c"})
        with pytest.raises(UsageError, match="setting epochs must be an integer >= 1"):
            make_config(recipe, {"epochs": 0})  # the shared rules still apply
        with pytest.raises(ValueError, match="checks for settings it does not have"):
            register("test-bad", "", {"epochs": 1}, checks={"nope": one_of("x")})(run)
    finally:
        RECIPES.pop("test-checks", None)


def test_shared_rules_name_only_settings_some_recipe_has():
    names = {key for recipe in RECIPES.values() for key in recipe.defaults}
    assert set(SETTING_CHECKS) <= names


def test_user_file_turns_bad_content_into_one_line():
    with pytest.raises(UsageError, match=r"^--data x.txt: not UTF-8 text \(byte 0xff at offset 2\)$"):
        with user_file("--data x.txt"):
            b"ab\xff".decode("utf-8")
    with pytest.raises(UsageError, match="^--data d: d/train: wrong magic number$"):
        with user_file("--data d"):
            raise ValueError("d/train: wrong magic number")
    with pytest.raises(UsageError, match="^runs/x/vocab.txt: No such file or directory$"):
        with user_file("runs/x/vocab.txt"):
            open("runs/x/vocab.txt")
    with pytest.raises(UsageError, match="^--data d: MNIST: dataset files not found$"):
        with user_file("--data d"):
            raise FileNotFoundError("MNIST: dataset files not found")
    with pytest.raises(KeyError):  # not about the file: left alone
        with user_file("--data d"):
            raise KeyError("a bug")


# ------------------------------------------------------------------ the new run's folder
def _register_failing(name, fail):
    def run(config, run_dir, resume=False, progress=True):
        run_dir.write_config(config)
        if fail == "after checkpoint":
            with open(run_dir.checkpoint, "wb") as f:
                f.write(b"stands in for a checkpoint")
            raise KeyboardInterrupt
        if fail == "sub-run checkpoint":
            os.makedirs(os.path.join(run_dir.path, "part"))
            open(os.path.join(run_dir.path, "part", "checkpoint.npz"), "wb").close()
            raise RuntimeError("later")
        if fail == "interrupt":
            raise KeyboardInterrupt
        if fail == "disk":
            raise OSError(errno.ENOSPC, "No space left on device", run_dir.checkpoint)
        raise ValueError("a bug")

    register(name, "fails", {"epochs": 1})(run)


@pytest.mark.parametrize("fail,error", [("interrupt", KeyboardInterrupt), ("bug", ValueError),
                                        ("disk", OSError)])
def test_a_run_that_fails_before_its_first_checkpoint_leaves_nothing(tmp_path, fail, error):
    _register_failing("test-fails", fail)
    try:
        with pytest.raises(error):
            run_recipe("test-fails", out=str(tmp_path / "a" / "b"), progress=False)
        assert os.listdir(tmp_path) == []  # nor the folders made for --out
        (tmp_path / "mine").mkdir()
        with pytest.raises(error):
            run_recipe("test-fails", out=str(tmp_path / "mine"), progress=False)
        assert os.listdir(tmp_path) == ["mine"] and os.listdir(tmp_path / "mine") == []
    finally:
        RECIPES.pop("test-fails", None)


@pytest.mark.parametrize("fail,error", [("after checkpoint", KeyboardInterrupt),
                                        ("sub-run checkpoint", RuntimeError)])
def test_a_run_with_a_checkpoint_keeps_its_folder_to_resume(tmp_path, fail, error):
    _register_failing("test-fails", fail)
    try:
        with pytest.raises(error):
            run_recipe("test-fails", out=str(tmp_path), progress=False)
        (run,) = os.listdir(tmp_path)
        assert run.startswith("test-fails-") and "config.json" in os.listdir(tmp_path / run)
    finally:
        RECIPES.pop("test-fails", None)


def test_open_run_checks_before_touching(tmp_path):
    with pytest.raises(UsageError, match="eval: .*nothing: no such run folder"):
        open_run(str(tmp_path / "nothing"), "eval")
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="is a file, not a run folder"):
        open_run(str(tmp_path / "f"), "eval")
    with pytest.raises(UsageError, match="is not a run folder"):
        open_run(str(tmp_path), "eval")
    assert sorted(os.listdir(tmp_path)) == ["f"]
    (tmp_path / "config.json").write_text(json.dumps({"recipe": "mnist-cnn"}))
    run_dir, config = open_run(str(tmp_path), "eval")
    assert config == {"recipe": "mnist-cnn"} and run_dir.path == str(tmp_path)
