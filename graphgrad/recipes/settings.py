"""Rules for recipe settings, checked when a run's config is made: before its run folder exists,
and before a resumed run changes anything. (``registry.make_config`` first checks that a value has
its default's kind: a number, true/false, text, a list or a JSON object.)

``SETTING_CHECKS`` holds the rule for every setting name that means one thing in whichever recipe
has it (``epochs``, ``batch_size``, ``lr``, ``window``, ...). A recipe adds or overrides rules with
``register(..., checks={"name": rule})``. A rule is a ``Check``, made by ``integer_at_least``,
``number_above``, ``between``, ``one_of`` or ``path``."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Check:
    """A rule for one setting: ``test(value) -> bool`` and what it expects, in words ("an integer
    >= 1"). With ``numeric``, only finite numbers reach ``test``. A setting that holds a list (also
    a list of lists) is checked element by element: ``lr=[0.003, 0.3]``, ``hidden_sizes=[[64],
    [256, 128]]``. ``allow_none`` lets None (the setting's "off") through."""

    test: Callable[[object], bool]
    expects: str
    allow_none: bool = False
    numeric: bool = True

    def problem(self, key: str, value, elementwise: bool = False) -> str | None:
        """Why ``value`` breaks the rule, in one line, or None if it obeys. ``elementwise``: the
        setting holds a list (its default is one), so the rule applies to each element."""
        if value is None and self.allow_none:
            return None
        values = list(_leaves(value)) if elementwise else [value]
        if values and all((not self.numeric or _finite_number(v)) and self.test(v) for v in values):
            return None
        return f"setting {key} must be {self.expects}, got {value!r}"


def _leaves(value):
    if isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _finite_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def integer_at_least(low: int, allow_none: bool = False) -> Check:
    """An integer ``>= low`` (3.0 is refused: the recipe would get a float)."""
    return Check(lambda v: isinstance(v, int) and v >= low, f"an integer >= {low}", allow_none)


def number_above(low: float, allow_none: bool = False) -> Check:
    """A finite number ``> low``."""
    return Check(lambda v: v > low, f"a number > {low:g}", allow_none)


def between(low: float, high: float, low_open: bool = False, high_open: bool = False,
            allow_none: bool = False) -> Check:
    """A finite number from ``low`` to ``high``, each end included unless ``*_open``."""
    def test(v):
        return (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    words = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    return Check(test, words, allow_none)


def one_of(*choices, allow_none: bool = False) -> Check:
    """One of ``choices`` (for a list value: each element one of them)."""
    return Check(lambda v: v in choices, "one of " + ", ".join(map(str, choices)), allow_none,
                 numeric=False)


def path(allow_none: bool = True) -> Check:
    """A file or folder path (text); whether it exists is the recipe's to say."""
    return Check(lambda v: isinstance(v, str) and v != "", "a path", allow_none, numeric=False)


_POSITIVE = integer_at_least(1)
_COUNT = integer_at_least(0)
_FRACTION = between(0, 1)
_NON_NEGATIVE = between(0, math.inf)

# Every setting name that means the same in each recipe that has it, with its rule.
SETTING_CHECKS: dict[str, Check] = {
    # training
    **dict.fromkeys(["epochs", "pretrain_epochs", "classifier_epochs", "batch_size",
                     "finetune_batch", "steps", "trials", "episodes", "d_steps", "seq_len",
                     "pgd_steps", "pgd_limit", "score_samples", "sample_length", "every"],
                    _POSITIVE),
    **dict.fromkeys(["lr", "cbow_lr", "head_lr", "finetune_lr"], number_above(0)),
    "d_lr": number_above(0, allow_none=True),
    **dict.fromkeys(["seed", "split_seed", "data_seed"], _COUNT),
    **dict.fromkeys(["momentum", "weight_decay", "weight_decays", "mixup", "cutmix", "gp_weight",
                     "beta", "train_eps", "eps", "pgd_eps", "lr_decay"], _NON_NEGATIVE),
    "beta1": between(0, 1, high_open=True),
    "ema": between(0, 1, low_open=True, high_open=True, allow_none=True),
    "real_label": between(0, 1, low_open=True),
    **dict.fromkeys(["label_smoothing", "erasing", "adversarial_fraction", "teacher_forcing"],
                    _FRACTION),
    **dict.fromkeys(["val_fraction", "dropout", "cutout"], between(0, 1, high_open=True)),
    "clip_grad_norm": number_above(0, allow_none=True),
    "early_stopping": integer_at_least(1, allow_none=True),
    "time_limit": number_above(0, allow_none=True),
    "score_every": _COUNT,
    "sample_every": _COUNT,
    "folds": integer_at_least(2),
    # data
    **dict.fromkeys(["data", "from_run", "classifier"], path()),
    **dict.fromkeys(["limit", "train_limit", "test_limit"], integer_at_least(1, allow_none=True)),
    **dict.fromkeys(["train_size", "val_size", "test_size", "embed_points", "shots", "frames",
                     "copies", "delays", "distractors", "max_len", "window", "negatives",
                     "min_freq"], _POSITIVE),
    "max_vocab": integer_at_least(2),
    "symbols": integer_at_least(2),
    "speed": _COUNT,
    "subsample": _NON_NEGATIVE,
    "translate": _COUNT,
    "pad_to": integer_at_least(1, allow_none=True),
    # model sizes
    **dict.fromkeys(["hidden_size", "embedding_dim", "latent_dim", "num_layers", "hidden",
                     "hidden_sizes", "g_hidden", "d_hidden", "channels", "feature_dim", "dim",
                     "depth", "width", "depths", "widths", "num_filters", "beam_size"],
                    _POSITIVE),
    "fc_hidden": _COUNT,
    "d_channels": integer_at_least(1, allow_none=True),
    "extra_layers": _COUNT,
    "margin": number_above(0),
    **dict.fromkeys(["cell", "cells"], one_of("rnn", "lstm", "gru")),
    # sampling
    "temperature": _NON_NEGATIVE,
    "top_k": integer_at_least(1, allow_none=True),
}
