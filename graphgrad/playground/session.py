"""One browser tab's playground: its settings, data, network, optimizer and training state.

The server runs a session's methods on a worker thread (training must not stall the event loop)
while the event loop may ask for a pause, so every public method holds the session's lock."""
from __future__ import annotations

import math
import random
import threading
import time

from . import codegen, network, pictures
from .datasets import NUM_POINTS, make_dataset
from .settings import DEFAULTS, NEW_DATA, RESTARTS, SettingsError, apply_changes

ACTIONS = ("play", "pause", "step", "reset", "regenerate")


class Session:
    """The state behind one page. ``change(settings)`` and ``act(action)`` are what the page's
    controls do; ``train_for(seconds)`` runs epochs while playing; ``frame()`` and ``setup()`` are
    what the page draws."""

    def __init__(self, settings: dict | None = None):
        self._lock = threading.Lock()
        # Initial weights and regenerated data draw their seeds from here. Seeded, so that the same
        # clicks give the same run in every tab and test. Small networks sometimes stall in a poor
        # minimum (on the original page too; "reset" leaves it): with this seed the usual first runs
        # of the lecture (each data set chosen, with or without a layer added) do not.
        self._random = random.Random(1)
        self.settings = apply_changes(DEFAULTS, settings or {})
        self.playing = False
        self._new_data()
        self._new_network()

    # -- state changes (each under the lock) -------------------------------------------------------

    def change(self, changes) -> dict:
        """Apply a request's settings (raises SettingsError on a bad one); a change of data or
        architecture starts again, paused, as the TensorFlow playground does."""
        with self._lock:
            new = apply_changes(self.settings, changes)
            changed = {k for k in new if new[k] != self.settings[k]}
            self.settings = new
            if changed & NEW_DATA:
                self._new_data()
            if changed & RESTARTS:
                self._new_network()
            else:
                network.set_hyperparameters(self.optimizer, new)
                if "batch_size" in changed:
                    self.loader = network.make_loader(self.x_train, self.y_train, new["batch_size"],
                                                      self.init_seed + self.epoch)
            return dict(self.settings)

    def act(self, action) -> None:
        """play, pause, step (one epoch, then paused), reset (new initial weights, epoch 0, paused),
        or regenerate (new data points, then reset)."""
        if action not in ACTIONS:
            raise SettingsError(f"action: unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
        with self._lock:
            if action == "play":
                self.playing = True
            elif action == "pause":
                self.playing = False
            elif action == "step":
                self.playing = False
                self._train_epoch()
            elif action == "regenerate":
                self.settings = {**self.settings, "seed": self._random.randrange(2**31)}
                self._new_data()
                self._new_network()
            else:
                self._new_network()

    def stop(self) -> None:
        """Pause without waiting for the lock (the event loop must not wait for a training chunk):
        a plain flag that the training loop reads before every epoch."""
        self.playing = False

    def train_for(self, seconds: float) -> dict:
        """While playing, train whole epochs for about ``seconds`` (at least one); then the frame."""
        with self._lock:
            start = time.perf_counter()
            while self.playing:
                self._train_epoch()
                if time.perf_counter() - start >= seconds:
                    break
            return self._frame()

    # -- what the page draws --------------------------------------------------------------------

    def frame(self) -> dict:
        """The epoch, the losses, and the pictures of the network as it is now."""
        with self._lock:
            return self._frame()

    def setup(self) -> dict:
        """The settings and the data points, sent when they change: ``train``/``test`` are lists
        of [x1, x2, label]."""
        with self._lock:
            return {"type": "setup", "settings": dict(self.settings), "init_seed": self.init_seed,
                    "grid": pictures.GRID, "node_stride": pictures.NODE_STRIDE,
                    "train": self._points(self.points_train, self.labels_train),
                    "test": self._points(self.points_test, self.labels_test)}

    def code(self) -> str:
        """The Python program equivalent to the current settings (the "show code" button)."""
        with self._lock:
            return codegen.program(self.settings, self.init_seed, self.epoch)

    # -- internals (called with the lock held) ---------------------------------------------------

    def _new_data(self) -> None:
        s = self.settings
        (self.points_train, self.labels_train), (self.points_test, self.labels_test) = make_dataset(
            s["dataset"], NUM_POINTS[s["problem"]], s["noise"] / 100, s["train_percent"] / 100, s["seed"])

    def _new_network(self) -> None:
        """Fresh initial weights (from a new seed), epoch 0, paused; the inputs follow the features."""
        s = self.settings
        self.playing = False
        self.epoch = 0
        self.init_seed = self._random.randrange(2**31)
        self.x_train = network.features(self.points_train, s["features"])
        self.x_test = network.features(self.points_test, s["features"])
        self.y_train = network.targets(self.labels_train, s["problem"])
        self.y_test = network.targets(self.labels_test, s["problem"])
        self.model = network.build_model(len(s["features"]), s["hidden"], s["activation"], self.init_seed)
        self.loss_fn = network.loss_function(s["problem"])
        self.optimizer = network.make_optimizer(self.model, s)
        network.set_hyperparameters(self.optimizer, s)
        self.loader = network.make_loader(self.x_train, self.y_train, s["batch_size"], self.init_seed)

    def _train_epoch(self) -> None:
        s = self.settings
        l1 = s["regularization_rate"] if s["regularization"] == "l1" else 0.0
        network.train_epoch(self.model, self.loader, self.loss_fn, self.optimizer, l1)
        self.epoch += 1

    def _frame(self) -> dict:
        return {"type": "frame", "epoch": self.epoch, "playing": self.playing,
                "train_loss": _finite(network.evaluate(self.model, self.loss_fn, self.x_train, self.y_train)),
                "test_loss": _finite(network.evaluate(self.model, self.loss_fn, self.x_test, self.y_test)),
                **pictures.draw(self.model, self.settings)}

    @staticmethod
    def _points(points, labels) -> list:
        return [[round(float(x), 3), round(float(y), 3), round(float(v), 3)]
                for (x, y), v in zip(points, labels)]


def _finite(loss: float):
    """A loss for JSON: None (null) once training has diverged to inf or NaN, which JSON cannot carry."""
    return loss if math.isfinite(loss) else None
