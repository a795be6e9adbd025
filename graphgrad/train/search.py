"""Model selection: grid and random search over hyper-parameters, each trial scored on held-out
data, and k-fold cross-validation for small data sets.

A search calls ``objective(params) -> score`` (or a dict with a ``"score"`` key and any other
figures to keep) for every trial; the objective trains on the training split and scores on the
validation split, so the test split stays untouched until the chosen configuration is final.

>>> result = grid_search(lambda p: -(p["lr"] - 0.1) ** 2, {"lr": [0.01, 0.1, 1.0]})
>>> result.best_params
{'lr': 0.1}
"""
from __future__ import annotations

import csv
import io
import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .run_dir import atomic_write_text


# ------------------------------------------------------------------ search spaces
@dataclass(frozen=True)
class Uniform:
    """A float drawn uniformly from [low, high] (random search only)."""
    low: float
    high: float

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class LogUniform:
    """A float whose logarithm is uniform on [log low, log high]: learning rates, weight decay."""
    low: float
    high: float

    def __post_init__(self):
        if not 0 < self.low <= self.high:
            raise ValueError(f"LogUniform: need 0 < low <= high, got ({self.low}, {self.high})")

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))


@dataclass(frozen=True)
class IntUniform:
    """An int drawn uniformly from low..high inclusive."""
    low: int
    high: int

    def sample(self, rng):
        return int(rng.integers(self.low, self.high + 1))


def _check_space(op: str, space: dict) -> None:
    if not isinstance(space, dict) or not space:
        raise ValueError(f"{op}: the search space must be a non-empty dict of name -> values")
    for name, values in space.items():
        if isinstance(values, (Uniform, LogUniform, IntUniform)):
            if op == "grid_search":
                raise ValueError(f"grid_search: {name!r} is a distribution ({values}); grid search "
                                 "needs a list of values (use random_search for distributions)")
            continue
        if not isinstance(values, (list, tuple)) or len(values) == 0:
            raise ValueError(f"{op}: {name!r} must be a non-empty list of values or a "
                             f"distribution, got {values!r}")


def grid_points(space: dict) -> list:
    """Every combination of the listed values, in order (the last name varies fastest)."""
    _check_space("grid_search", space)
    names = list(space)
    return [dict(zip(names, combo)) for combo in itertools.product(*(space[n] for n in names))]


def random_points(space: dict, n_trials: int, seed: int = 0) -> list:
    """``n_trials`` configurations: lists are sampled uniformly, distributions by their ``sample``."""
    _check_space("random_search", space)
    if int(n_trials) < 1:
        raise ValueError(f"random_search: n_trials must be >= 1, got {n_trials}")
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(int(n_trials)):
        p = {}
        for name, values in space.items():
            if isinstance(values, (Uniform, LogUniform, IntUniform)):
                p[name] = values.sample(rng)
            else:
                v = values[int(rng.integers(len(values)))]
                p[name] = v.item() if isinstance(v, np.generic) else v
        points.append(p)
    return points


# ----------------------------------------------------------------------- results
@dataclass
class SearchResult:
    """All trials (params, score, other figures, seconds), the best one, and the retrained model."""

    trials: list
    mode: str = "max"
    best_model: object = field(default=None, repr=False)

    @property
    def best(self) -> dict:
        scored = [t for t in self.trials if math.isfinite(t["score"])]
        if not scored:
            raise RuntimeError("search: no trial produced a finite score")
        key = (lambda t: t["score"]) if self.mode == "max" else (lambda t: -t["score"])
        return max(scored, key=key)  # the first of equal scores wins

    @property
    def best_params(self) -> dict:
        return dict(self.best["params"])

    @property
    def best_score(self) -> float:
        return self.best["score"]

    def rows(self) -> list:
        """One flat dict per trial: trial number, each parameter, score, extras, seconds."""
        out = []
        for i, t in enumerate(self.trials):
            row = {"trial": i, **t["params"], "score": t["score"], **t.get("extra", {}),
                   "seconds": round(t["seconds"], 3)}
            out.append(row)
        return out

    def _columns(self) -> list:
        cols = []
        for r in self.rows():
            for k in r:
                if k not in cols:
                    cols.append(k)
        return cols

    def to_csv(self, path: str | None = None) -> str:
        """The table as CSV text (written atomically to ``path`` if given)."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self._columns(), lineterminator="\n")
        writer.writeheader()
        for r in self.rows():
            writer.writerow({k: _fmt(v) for k, v in r.items()})
        text = buf.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text

    def table(self, sort: bool = True) -> str:
        """A Markdown table of the trials, best first (``sort``); the best row is in bold."""
        rows = self.rows()
        best = self.trials.index(self.best)
        if sort:
            sign = -1 if self.mode == "max" else 1
            rows = sorted(rows, key=lambda r: (not math.isfinite(r["score"]), sign * r["score"]
                                               if math.isfinite(r["score"]) else 0))
        cols = self._columns()
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in rows:
            cells = [_fmt(r.get(c, "")) for c in cols]
            if r["trial"] == best:
                cells = [f"**{c}**" for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return "x".join(str(x) for x in v) if all(isinstance(x, int) for x in v) else str(list(v))
    return str(v)


# ------------------------------------------------------------------------ search
def _run_trials(objective, points, mode, csv_path, retrain, progress) -> SearchResult:
    if mode not in ("max", "min"):
        raise ValueError(f"search: mode must be 'max' or 'min', got {mode!r}")
    result = SearchResult([], mode)
    for i, params in enumerate(points):
        start = time.perf_counter()
        out = objective(dict(params))
        extra = {}
        if isinstance(out, dict):
            if "score" not in out:
                raise ValueError(f"search: the objective returned a dict without 'score': {sorted(out)}")
            extra = {k: v for k, v in out.items()  # scalar figures go into the table
                     if k != "score" and isinstance(v, (int, float, str, bool))}
            out = out["score"]
        score = float(out)
        result.trials.append({"params": dict(params), "score": score if math.isfinite(score) else
                              float("nan"), "extra": extra, "seconds": time.perf_counter() - start})
        if progress:
            shown = ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())
            print(f"trial {i + 1}/{len(points)}: {shown} -> score {score:.4f}", flush=True)
        if csv_path is not None:  # written after every trial, so an interrupted search keeps them
            result.to_csv(csv_path)
    if retrain is not None:
        result.best_model = retrain(result.best_params)
    return result


def grid_search(objective, space: dict, mode: str = "max", csv_path: str | None = None,
                retrain=None, progress: bool = False) -> SearchResult:
    """Score ``objective(params)`` on every combination of ``space`` (name -> list of values).

    ``mode``: 'max' (accuracy) or 'min' (loss). ``csv_path``: the trial table (``search.csv``),
    rewritten after every trial. ``retrain(best_params)``: called once at the end, e.g. to train the
    chosen configuration on training + validation data; its result is ``result.best_model``."""
    return _run_trials(objective, grid_points(space), mode, csv_path, retrain, progress)


def random_search(objective, space: dict, n_trials: int = 10, seed: int = 0, mode: str = "max",
                  csv_path: str | None = None, retrain=None, progress: bool = False) -> SearchResult:
    """``n_trials`` random configurations from ``space`` (lists, or ``Uniform``/``LogUniform``/
    ``IntUniform`` distributions; Bergstra and Bengio 2012), otherwise as ``grid_search``."""
    return _run_trials(objective, random_points(space, n_trials, seed), mode, csv_path, retrain,
                       progress)


# ---------------------------------------------------------------- cross-validation
def kfold_indices(n: int, k: int = 5, shuffle: bool = True, seed: int = 0, labels=None) -> list:
    """``k`` pairs ``(train_indices, val_indices)`` covering 0..n-1, each index validated once.

    With ``labels`` the folds are stratified: every class is spread evenly over the folds."""
    if not 2 <= int(k) <= n:
        raise ValueError(f"kfold_indices: need 2 <= k <= n, got k={k} for n={n}")
    rng = np.random.default_rng(seed)
    if labels is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        folds = np.array_split(order, k)
    else:
        labels = np.asarray(labels)
        if len(labels) != n:
            raise ValueError(f"kfold_indices: {len(labels)} labels for n={n}")
        folds = [[] for _ in range(k)]
        offset = 0
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            if shuffle:
                idx = rng.permutation(idx)
            for j, i in enumerate(idx):  # deal the class round-robin, continuing where the last ended
                folds[(offset + j) % k].append(int(i))
            offset += len(idx)
        folds = [np.sort(np.array(f, dtype=np.int64)) for f in folds]
    out = []
    for i in range(k):
        val = np.sort(folds[i])
        train = np.sort(np.concatenate([folds[j] for j in range(k) if j != i]))
        out.append((train, val))
    return out


def cross_validate(fit_and_score, data, k: int = 5, shuffle: bool = True, seed: int = 0,
                   stratify: bool = True) -> dict:
    """k-fold cross-validation: for each fold, ``fit_and_score(train, val) -> score`` gets the
    training and validation parts (``Subset`` views of ``data`` when it is a dataset of (x, y), or
    index arrays when ``data`` is an int n) and returns the validation score.

    Returns ``{"scores": [...], "mean": m, "std": s}``. ``stratify`` keeps class proportions per fold
    when ``data`` is a dataset whose items are (x, label)."""
    from ..utils.data import Subset

    if isinstance(data, int):
        n, labels, dataset = data, None, None
    else:
        dataset, n = data, len(data)
        labels = None
        if stratify:
            labels = np.array([int(np.asarray(dataset[i][1])) for i in range(n)])
    scores = []
    for train_idx, val_idx in kfold_indices(n, k, shuffle, seed, labels):
        if dataset is None:
            out = fit_and_score(train_idx, val_idx)
        else:
            out = fit_and_score(Subset(dataset, train_idx.tolist()), Subset(dataset, val_idx.tolist()))
        scores.append(float(out["score"] if isinstance(out, dict) else out))
    return {"scores": scores, "mean": float(np.mean(scores)), "std": float(np.std(scores))}


def fit_classifier(model, optimizer, train_data, val_data=None, epochs: int = 5,
                   batch_size: int = 64, loss_fn=None, seed: int | None = 0,
                   callbacks=()) -> dict:
    """Train ``model`` on ``train_data`` (a dataset of (x, label)) with ``Trainer`` quietly and
    return ``{"score": validation accuracy (or final training accuracy), "val_loss", "history"}``:
    the usual objective of a search or a cross-validation fold."""
    from .. import manual_seed, nn
    from ..utils.data import DataLoader
    from .trainer import Trainer

    if seed is not None:
        manual_seed(seed)
    trainer = Trainer(model, loss_fn or nn.CrossEntropyLoss(), optimizer, callbacks=callbacks,
                      progress=False)
    val_loader = DataLoader(val_data, batch_size=512) if val_data is not None else None
    history = trainer.fit(DataLoader(train_data, batch_size=batch_size, shuffle=True), val_loader,
                          epochs=epochs)
    last = history[-1]
    return {"score": last.get("val_acc", last["train_acc"]), "val_loss": last.get("val_loss"),
            "train_acc": last["train_acc"], "history": history}
