"""``Loop``: graphgrad's one training loop. A ``Step`` (``graphgrad.train.step``) says what one
training step of a model family does; the loop does everything around it, once, for all of them:

- epochs and batches, a tqdm bar per epoch, the per-step figures (a dict of floats) averaged over
  the epoch, validation in eval mode without a graph, one history row per epoch;
- schedulers of every kind (``graphgrad.train.schedules``), per batch or per epoch;
- callbacks with one signature (``graphgrad.train.Callback``: every figure arrives in a dict);
- the run folder: a checkpoint after every epoch, after the first ``checkpoint_first`` steps of
  the run, every ``checkpoint_every`` seconds and at Ctrl-C, always at a batch boundary, then
  ``metrics.jsonl`` (so it is never ahead of the checkpoint); ``fit(resume=True)`` continues from
  it bit for bit, mid-epoch included;
- a time limit, and the training time summed across resumes (``elapsed``).

The random state saved at a batch boundary is the one before the next batch is made: a resumed
epoch replays its shuffle from the epoch's saved start state, skips the batches already done in
the sampler (``DataLoader.iter_from``: nothing is loaded, transformed or drawn for them), then
restores the boundary state, so the next batch's augmentation, dropout and noise are the ones an
uninterrupted run draws.

Devices and ranks: ``to_device`` (a batch on its way to the step), ``is_main_process`` (who writes
files and prints) and ``reduce`` (the epoch's sums from every rank) are the places where GPU and
data-parallel training plug in; on one CPU process they do nothing. When a process group of more
than one rank exists, ``fit`` trains data-parallel (``graphgrad.train.ranks``): the step's model in
DistributedDataParallel, each rank a share of every global batch, held-out figures over the whole
split once, one agreement per step on stopping and checkpoints, and checkpoints (written by rank 0)
that resume on any number of ranks.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import signal
import time

from .. import no_grad
from ..distributed import is_main_process
from ..serialization import load, save
from . import random_state
from .checkpoint import require_checkpoint, write_error
from .interrupts import DeferredInterrupt
from .progress import epoch_bar, epoch_line
from .ranks import Ranks, for_rank
from .run_dir import RunDir
from .schedules import as_scheduled, load_progress

CHECKPOINT_FIRST = 10      # steps: a run killed in its first epoch still leaves a checkpoint
CHECKPOINT_EVERY = 60.0    # seconds between checkpoints within an epoch
# What stops training gently: Ctrl-C, and on several ranks the signal mpiexec passes on to them all.
_INTERRUPTS = (signal.SIGINT,) + ((signal.SIGUSR1,) if hasattr(signal, "SIGUSR1") else ())


def default_checkpoint_every() -> float:
    """``GRAPHGRAD_CHECKPOINT_EVERY`` (seconds) if set, else 60."""
    text = os.environ.get("GRAPHGRAD_CHECKPOINT_EVERY")
    if text is None:
        return CHECKPOINT_EVERY
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"GRAPHGRAD_CHECKPOINT_EVERY must be a number of seconds, got {text!r}") \
            from None


def _new_sums() -> dict:
    return {"totals": {}, "counts": {}, "seen": 0}


def _accumulate(sums: dict, logs: dict, n: int) -> None:
    for key, value in logs.items():
        sums["totals"][key] = sums["totals"].get(key, 0.0) + value * n
        sums["counts"][key] = sums["counts"].get(key, 0) + n
    sums["seen"] += n


def _means(sums: dict) -> dict:
    """Each figure's mean over the examples of the batches that reported it."""
    return {k: v / max(sums["counts"][k], 1) for k, v in sums["totals"].items()}


class Loop:
    """Run ``step`` (a ``graphgrad.train.Step``) over epochs of batches.

    ``schedulers``: schedulers, or ``(scheduler, 'batch' | 'epoch')`` pairs (see
    ``graphgrad.train.schedules``). ``callbacks``: ``Callback`` objects. ``run_dir``: a ``RunDir``
    or a path; without one nothing is written. ``time_limit``: seconds of training (summed across
    resumes) after which the epoch under way ends early (its row says ``partial``) and training
    stops. ``checkpoint_first``: steps after which the first epoch writes a checkpoint;
    ``checkpoint_every``: seconds between checkpoints within an epoch (None: the
    ``GRAPHGRAD_CHECKPOINT_EVERY`` environment variable, else 60; ``math.inf``: only at epoch ends).
    """

    def __init__(self, step, *, schedulers=(), callbacks=(), run_dir=None, progress: bool = True,
                 time_limit: float | None = None, checkpoint_first: int = CHECKPOINT_FIRST,
                 checkpoint_every: float | None = None):
        self.step = step
        step.bind(self)
        self.schedulers = as_scheduled(schedulers)
        self.callbacks = list(callbacks)
        self.run_dir = RunDir(run_dir) if isinstance(run_dir, (str, os.PathLike)) else run_dir
        self.progress, self.time_limit = progress, time_limit
        self.checkpoint_first = int(checkpoint_first)
        self.checkpoint_every = default_checkpoint_every() if checkpoint_every is None \
            else float(checkpoint_every)
        self.epoch = 0          # complete epochs
        self.global_step = 0    # training steps taken
        self.elapsed = 0.0      # seconds spent in fit, summed across resumes
        self.history: list[dict] = []
        self._epochs = 0
        self._mid = None        # where a mid-epoch checkpoint left off, until its epoch resumes
        self._last_saved = None
        self._interrupt = DeferredInterrupt()
        self.ranks = None       # a train.ranks.Ranks while fit trains on several ranks
        self._step_wrapped = False
        self._clock = (time.perf_counter(), 0.0)
        self._last_save_time = time.perf_counter()

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def model(self):
        """The model of a single-model step (what callbacks such as ``KeepBest`` save)."""
        return self.step.model

    # ------------------------------------------------------------ devices and ranks
    @property
    def is_main_process(self) -> bool:
        """Whether this process writes the run folder and prints: rank 0 of data-parallel
        training (several processes, one per rank); one process always is."""
        return is_main_process()

    def to_device(self, batch):
        """The batch as the step receives it. Training on a GPU moves its arrays to the model's
        device here; on the CPU the batch passes unchanged."""
        return batch

    def reduce(self, sums: dict) -> dict:
        """The epoch's sums of figures (``totals``, ``counts``, ``seen``) over every rank.
        Data-parallel training all-reduces them here; one process has them all already."""
        return sums if self.ranks is None else self.ranks.sum_sums(sums)

    # ------------------------------------------------------------------ training
    def fit(self, train_data, val_data=None, epochs: int = 1, resume: bool = False) -> list:
        """Train until ``epochs`` epochs are complete (continuing from the run folder's checkpoint
        with ``resume``); returns the history, one row (dict) per epoch."""
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"{self.name}.fit: epochs must be an int >= 0, got {epochs!r}")
        self.ranks = Ranks.current()
        if self.ranks is not None:
            train_data, val_data = self._data_parallel(train_data, val_data)
        if self.run_dir is not None and self.is_main_process:
            self.run_dir.remove_temporary_files()
        if resume:
            self.load_checkpoint(require_checkpoint(self.run_dir, self.name), epochs=epochs)
            if self.run_dir is not None and self.is_main_process:
                self._write_metrics()  # lines a kill left ahead of the checkpoint go
        elif self.ranks is not None:  # each rank its own random draws (rank 0 those of one process)
            random_state.restore(for_rank(random_state.capture(), self.ranks.rank))
        if self._mid is not None and self.epoch >= epochs:
            raise ValueError(f"{self.name}.fit: the checkpoint is within epoch {self.epoch + 1}; "
                             f"epochs={epochs} would end before it")
        self._epochs = epochs
        for cb in self.callbacks:
            cb.on_fit_start(self)
        self._clock = (time.perf_counter(), self.elapsed)
        self._last_save_time = time.perf_counter()
        stop = False
        self._interrupt = DeferredInterrupt(_INTERRUPTS if self.ranks is not None else
                                            (signal.SIGINT,))
        with self._interrupt:
            while self.epoch < epochs and not stop and not self._time_up():
                stop = self._run_epoch(train_data, val_data, epochs)
                if self._agree(self._interrupt.requested):  # during validation or the checkpoint
                    self._report_interrupt()
                    raise KeyboardInterrupt
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self.history

    def _tick(self) -> None:
        start, before = self._clock
        self.elapsed = before + time.perf_counter() - start

    def _out_of_time(self) -> bool:
        return self.time_limit is not None and self.elapsed >= self.time_limit

    # ------------------------------------------------------------------ ranks
    def _data_parallel(self, train_data, val_data):
        """Wrap the step for data-parallel training (once) and split the data among the ranks."""
        if not self._step_wrapped:
            self.step.data_parallel(self.ranks)
            self._step_wrapped = True
        return (self.ranks.shard_train(train_data),
                None if val_data is None else self.ranks.shard_eval(val_data))

    def _agree(self, flag: bool) -> bool:
        """``flag`` on any rank (itself on one process)."""
        return flag if self.ranks is None else self.ranks.agree(flag)[0]

    def _time_up(self) -> bool:
        """Rank 0's verdict on the time limit, on every rank."""
        up = self._out_of_time()
        return up if self.ranks is None else self.ranks.from_main(up)

    def _at_boundary(self, epoch: int, done: int, stop: bool) -> tuple[bool, bool, bool]:
        """``(interrupted, stop, checkpoint due)`` after a step: on several ranks, agreed by all
        of them (an interrupt or a callback's stop on any rank, rank 0's clock)."""
        time_up, due = self._out_of_time(), self._checkpoint_due(epoch, done)
        if self.ranks is None:
            return self._interrupt.requested, stop or time_up, due
        main = self.ranks.is_main
        interrupted, stop, time_up, due = self.ranks.agree(self._interrupt.requested, stop,
                                                           main and time_up, main and due)
        return interrupted, stop or time_up, due

    def _batches(self, data, epoch: int, start: int):
        """An iterator over ``data`` from batch ``start``: skipped in the sampler where the data
        can (``iter_from``), else read and dropped. A sampler with ``set_epoch`` (a distributed
        one) is told the epoch first (0-based, as PyTorch's training scripts do)."""
        set_epoch = getattr(getattr(data, "sampler", None), "set_epoch", None)
        if set_epoch is not None:
            set_epoch(epoch - 1)
        iter_from = getattr(data, "iter_from", None)
        if iter_from is not None:
            return iter_from(start)
        batches = iter(data)
        for _ in itertools.islice(batches, start):
            pass
        return batches

    def _run_epoch(self, data, val_data, epochs: int) -> bool:
        epoch = self.epoch + 1
        self.step.train()
        for cb in self.callbacks:
            cb.on_epoch_start(self, epoch)
        mid, self._mid = self._mid, None
        if mid:
            random_state.restore(mid["epoch_rng"])
        epoch_rng = random_state.capture()
        self.step.start_epoch(epoch)
        done = mid["batch"] if mid else 0
        sums = mid["sums"] if mid else _new_sums()
        epoch_time = mid["time"] if mid else 0.0
        batches = self._batches(data, epoch, done)
        if mid:
            random_state.restore(mid["rng"])
            self.step.load_state_dict(mid["step"])
        bar = epoch_bar(self.progress and self.is_main_process, data, epoch, epochs, done)
        start = time.perf_counter()
        where, stop, agreed = "fetch", False, False
        boundary_rng = None
        try:
            while True:
                where, boundary_rng = "fetch", random_state.capture()
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                where = "step"
                logs = self.step.train_step(self.to_device(batch))
                n = self.step.count(batch)
                self.global_step += 1
                done += 1
                where = "boundary"
                self._check_finite(logs)
                self._step_schedulers("batch")
                _accumulate(sums, logs, n)
                self._tick()
                for cb in self.callbacks:
                    stop = bool(cb.on_batch_end(self, self.global_step, logs)) or stop
                if bar is not None:
                    rate = sums["seen"] / max(epoch_time + time.perf_counter() - start, 1e-9)
                    postfix = self.step.postfix(_means(sums))
                    postfix["rate"] = f"{rate:.0f} {self.step.unit[:3]}/s"
                    bar.set_postfix(postfix, refresh=False)
                    bar.update(1)
                agreed, stop, due = self._at_boundary(epoch, done, stop)
                if agreed:
                    raise KeyboardInterrupt
                if stop:
                    break
                if due:
                    self._save(self._mid_state(epoch_rng, done, sums,
                                               epoch_time + time.perf_counter() - start))
        except KeyboardInterrupt:
            if bar is not None:
                bar.close()
            self._interrupted(where, agreed, epoch_rng, done, sums,
                              epoch_time + time.perf_counter() - start, boundary_rng)
            raise
        finally:
            shutdown = getattr(batches, "_shutdown_workers", None)
            if shutdown is not None and not getattr(data, "persistent_workers", False):
                shutdown()
        if bar is not None:
            bar.close()
        epoch_time += time.perf_counter() - start
        partial = stop
        if partial and hasattr(data, "__len__"):
            partial = done < len(data)
        return self._end_epoch(epoch, self.reduce(sums), epoch_time, partial, val_data) or stop

    def _end_epoch(self, epoch: int, sums: dict, epoch_time: float, partial: bool,
                   val_data) -> bool:
        row = {"epoch": epoch, **_means(sums), "time": epoch_time,
               f"{self.step.unit}_per_s": sums["seen"] / max(epoch_time, 1e-9)}
        optimizers = list(self.step.optimizers().values())
        if len(optimizers) == 1:  # the rate the epoch ended with (before an epoch schedule)
            row["lr"] = float(optimizers[0].param_groups[0]["lr"])
        if partial:
            row["partial"] = True
        if val_data is not None:
            self.step.eval()
            try:
                with no_grad():
                    row.update(self.step.validate(val_data))
            finally:
                self.step.train()
        self.step.end_epoch(row)
        self._step_schedulers("epoch", row)
        self.epoch = epoch
        self.history.append(row)
        stop = False
        for cb in self.callbacks:
            stop = bool(cb.on_epoch_end(self, row)) or stop
        stop = self._agree(stop)
        self._tick()
        self._save(None)
        if self.progress and self.is_main_process:
            print(epoch_line(row, self.step.summary_keys, f"{self.step.unit}_per_s"), flush=True)
        return stop or partial

    def _check_finite(self, logs: dict) -> None:
        for key, value in logs.items():
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"{self.name}: {key} became {value} at step {self.global_step}; lower the "
                    "learning rate, or find the op with graphgrad.autograd.detect_anomaly()")

    def _step_schedulers(self, when: str, row: dict | None = None) -> None:
        for s in self.schedulers:
            if s.when == when:
                s.step(row)

    # --------------------------------------------------------------- checkpoints
    def _checkpoint_due(self, epoch: int, done: int) -> bool:
        if self.run_dir is None:
            return False
        if epoch == 1 and done == self.checkpoint_first:
            return True
        return time.perf_counter() - self._last_save_time >= self.checkpoint_every

    @staticmethod
    def _mid_state(epoch_rng, done: int, sums: dict, seconds: float) -> dict:
        return {"batch": done, "epoch_rng": epoch_rng, "sums": sums, "time": seconds}

    def _interrupted(self, where, agreed, epoch_rng, done, sums, seconds, boundary_rng) -> None:
        """Ctrl-C: checkpoint the last batch boundary, unless the interrupt came from inside a
        step (its state is half updated: the last checkpoint stays). On several ranks only an
        interrupt the ranks ``agreed`` on at a boundary is checkpointed (all of them take part)."""
        if self.run_dir is None:
            return
        if where == "step" or (self.ranks is not None and not agreed):
            if self.is_main_process:
                print(f"\ninterrupted within a training step: kept the last checkpoint "
                      f"({self._last_saved or 'none yet'}) in {self.run_dir.path}", flush=True)
            return
        self._save(self._mid_state(epoch_rng, done, sums, seconds),
                   rng=boundary_rng if where == "fetch" else None)
        self._report_interrupt()

    def _report_interrupt(self) -> None:
        if self.run_dir is not None and self.is_main_process:
            print(f"\ninterrupted: checkpoint saved in {self.run_dir.path}; continue with --resume",
                  flush=True)

    def _save(self, mid: dict | None, rng=None) -> None:
        """Write the checkpoint (then, after an epoch, metrics.jsonl) atomically. On several ranks
        every rank takes part (the checkpoint gathers their states); rank 0 writes."""
        if self.run_dir is None:
            return
        for cb in self.callbacks:
            cb.on_checkpoint(self)
        state = self.state_dict(mid, rng)
        path = self.run_dir.checkpoint
        if self.is_main_process:
            try:
                save(state, path)
            except OSError as exc:
                raise write_error(path, exc, self._last_saved) from None
        self._last_saved = (f"epoch {self.epoch}" + (f" and {mid['batch']} batches" if mid else "")
                            + f", step {self.global_step}")
        self._last_save_time = time.perf_counter()
        if mid is None and self.is_main_process:
            self._write_metrics()

    def _write_metrics(self) -> None:
        try:
            self.run_dir.write_metrics(self.history)
        except OSError as exc:
            raise write_error(self.run_dir.file(RunDir.METRICS), exc, self._last_saved) from None

    def state_dict(self, mid: dict | None = None, rng=None) -> dict:
        """Everything a checkpoint holds (see ``graphgrad.train.checkpoint``). On several ranks a
        collective: every rank calls it, and gets the same dict."""
        rng = rng if rng is not None else random_state.capture()
        ranks = {}
        if self.ranks is not None:
            ranks["rank_random_states"] = json.dumps(
                self.ranks.random_states(rng, mid["epoch_rng"] if mid else None))
            if mid is not None:
                mid = dict(mid, sums=self.ranks.sum_sums(mid["sums"]))
        state = {name: m.state_dict() for name, m in self.step.modules().items()}
        state.update({name: o.state_dict() for name, o in self.step.optimizers().items()})
        for i, s in enumerate(self.schedulers):
            state["scheduler" if i == 0 else f"scheduler_{i}"] = s.scheduler.state_dict()
        state.update({
            "epoch": self.epoch, "global_step": self.global_step, "elapsed": self.elapsed,
            "epochs": self._epochs,
            # JSON text: the generator states hold 128-bit integers
            "history": json.dumps(self.history),
            "rng": json.dumps(rng),
            "callbacks": json.dumps([cb.state_dict() for cb in self.callbacks]),
            "mid_epoch": json.dumps(mid),
            "world_size": 1 if self.ranks is None else self.ranks.size,
            **ranks,
        })
        if mid is not None:
            state["step_state"] = self.step.state_dict()
        return state

    def save_checkpoint(self, path: str) -> None:
        """Write an end-of-epoch checkpoint to ``path`` (atomically; on several ranks every rank
        calls it and rank 0 writes)."""
        state = self.state_dict()
        if self.is_main_process:
            save(state, path)

    def load_checkpoint(self, path: str, epochs: int | None = None) -> None:
        """Restore everything from the checkpoint at ``path``. When ``epochs`` differs from the
        number the run was planned with, the schedulers keep the plan they were built with now
        and take only their progress from the checkpoint (``schedules.load_progress``)."""
        state = load(path)
        owned = {**self.step.modules(), **self.step.optimizers()}
        missing = [name for name in owned if name not in state]
        if missing:
            raise KeyError(f"{self.name}: checkpoint {path} has no {', '.join(map(repr, missing))} "
                           f"entry (it has {', '.join(sorted(state))})")
        for name, obj in owned.items():
            obj.load_state_dict(state[name])
        replan = epochs is not None and int(state.get("epochs", epochs)) != epochs
        for i, s in enumerate(self.schedulers):
            key = "scheduler" if i == 0 else f"scheduler_{i}"
            if key in state:
                if replan:
                    load_progress(s.scheduler, state[key])
                else:
                    s.scheduler.load_state_dict(state[key])
        self.epoch, self.global_step = int(state["epoch"]), int(state["global_step"])
        self.elapsed = float(state.get("elapsed", 0.0))
        self.history = json.loads(state["history"])
        for cb, cb_state in zip(self.callbacks, json.loads(state["callbacks"])):
            cb.load_state_dict(cb_state)
        rng = json.loads(state["rng"])
        mid = json.loads(state["mid_epoch"])
        if self.ranks is not None:  # this rank's own states, or ones made for it (train.ranks)
            saved = json.loads(state["rank_random_states"]) if "rank_random_states" in state \
                else None
            rng = self.ranks.restore_random_state(saved, rng)
            if mid is not None:
                mid["epoch_rng"] = self.ranks.restore_random_state(saved, mid["epoch_rng"],
                                                                   "epoch_rng")
                if not self.ranks.is_main:  # rank 0 carries the figures summed so far
                    mid["sums"] = _new_sums()
        random_state.restore(rng)
        if mid is not None:  # restored again once the epoch's skipped batches are behind
            mid["rng"], mid["step"] = rng, state.get("step_state", {})
        self._mid = mid
        self._last_saved = (f"epoch {self.epoch}" + (f" and {mid['batch']} batches" if mid else "")
                            + f", step {self.global_step}")


__all__ = ["Loop", "default_checkpoint_every"]
