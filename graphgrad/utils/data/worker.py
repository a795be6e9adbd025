"""What runs inside a ``DataLoader`` worker process, and what travels back from it.

A worker takes ``(task_id, indices, seed)`` from its index queue, seeds its generators with
``seed`` (so a batch's random draws depend on the batch alone), fetches and collates the samples and
sends ``(task_id, batch)`` back through its own pipe. Sending through a pipe pickles in the worker's
own thread, so a batch that can't be pickled becomes an error in the caller rather than a hang. An
exception becomes an ``ExceptionWrapper`` holding the worker's traceback text, re-raised by the
caller. The worker ignores Ctrl-C (the main process decides when to stop) and leaves when it gets
``None``, when the main process closes its end of the pipe, or when its parent has gone.
"""
from __future__ import annotations

import os
import pickle
import queue
import random
import signal
import sys
import traceback
from dataclasses import dataclass

from ... import backend

__all__ = ["WorkerInfo", "get_worker_info"]

# How often (seconds) an idle worker checks that its parent is still alive.
STATUS_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """Inside a worker: which worker this is, how many there are, its seed and its dataset copy."""

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The ``WorkerInfo`` of the current worker process, or ``None`` in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, with its formatted traceback, that can cross processes."""

    def __init__(self, exc_info=None, where: str = "in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        exc_type = exc_info[0]
        try:  # the type must be importable in the caller; otherwise report it as RuntimeError
            pickle.loads(pickle.dumps(exc_type))
        except Exception:
            exc_type = RuntimeError
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the wrapped exception's type with the worker's traceback in its message."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:  # KeyError would print the message as a repr on one line
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # a type whose constructor needs other arguments
            exc = RuntimeError(msg)
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self):
        return str(self)


@dataclass(frozen=True)
class IterableStopped:
    """A worker's iterable dataset is exhausted (sent in place of a batch)."""

    worker_id: int


class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch."""


class MapFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if getitems is not None else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class IterableFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.iterator))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.iterator)
        return self.collate_fn(data)


def make_fetcher(is_iterable: bool, dataset, auto_collation, collate_fn, drop_last):
    cls = IterableFetcher if is_iterable else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_worker(seed: int) -> None:
    """Seed every generator a worker may draw from: graphgrad's (which also seeds NumPy's global
    one) and Python's ``random``."""
    random.seed(seed)
    backend.manual_seed(seed)


def worker_loop(is_iterable, dataset, index_queue, conn, auto_collation, collate_fn, drop_last,
                seed, init_fn, worker_id, num_workers, parent_pid):
    """The body of a worker process (see the module docstring)."""
    global _worker_info
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    seed_worker(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    init_error = None
    fetcher = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        init_error = ExceptionWrapper(where=where)
    iteration_end = False
    try:
        while True:
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the main process is gone
                    break
                continue
            if task is None:
                break
            if isinstance(task, ResumeIteration):
                iteration_end = False
                if is_iterable and init_error is None:
                    try:
                        fetcher = make_fetcher(True, dataset, auto_collation, collate_fn, drop_last)
                    except Exception:
                        init_error = ExceptionWrapper(where=where)
                continue
            if iteration_end:
                continue  # the caller skips tasks sent to an exhausted worker
            task_id, index, seed = task
            seed_worker(seed)
            if init_error is not None:
                data = init_error  # every task reports it: the worker cannot fetch anything
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not is_iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = IterableStopped(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=where)
            try:
                conn.send((task_id, data))
            except (BrokenPipeError, ConnectionResetError, EOFError):
                break  # the main process closed its end: shutting down
            except Exception:  # the batch could not be pickled
                try:
                    conn.send((task_id, ExceptionWrapper(where=where + " (sending the batch)")))
                except OSError:
                    break
            del data, task
    except KeyboardInterrupt:  # pragma: no cover - SIGINT is ignored; belt and braces
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass
