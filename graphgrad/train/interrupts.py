"""Ctrl-C during training, taken at a batch boundary.

A KeyboardInterrupt raised in the middle of a step (between ``loss.backward()`` and the last
parameter update of ``optimizer.step()``, or with a batch-norm statistic updated and the weights not
yet) would leave a state that no checkpoint should hold. So while ``fit`` runs, the first Ctrl-C is
only noted; the loop sees it at the end of the step under way, writes a checkpoint of that
consistent state and then raises KeyboardInterrupt. A second Ctrl-C interrupts at once.

Data-parallel training notes SIGUSR1 the same way: ``mpiexec`` passes that signal on to every rank
(it ends the ranks at once on SIGINT), so ``graphgrad run --nproc N`` turns Ctrl-C into SIGUSR1
for the ranks, which stop together at the next batch boundary (``graphgrad.train.ranks``).
"""
from __future__ import annotations

import signal
import threading


class DeferredInterrupt:
    """Context manager: note the first of ``signals`` (default SIGINT) in ``requested`` instead of
    raising. A handler is replaced only in the main thread and only where Python's default is in
    place (``signal.default_int_handler``, or for a signal other than SIGINT also the system's
    default): a program that handles the signal its own way, or ignores it, keeps its handler."""

    def __init__(self, signals=(signal.SIGINT,)):
        self.signals = tuple(signals)
        self.requested = False
        self._previous: dict = {}

    def __enter__(self):
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            for signum in self.signals:
                current = signal.getsignal(signum)
                if current is signal.default_int_handler or (
                        signum != signal.SIGINT and current == signal.SIG_DFL):
                    self._previous[signum] = current
                    signal.signal(signum, self._note)
        return self

    def _note(self, signum, frame) -> None:
        self.requested = True
        for noted in self._previous:  # a second interrupt stops at once
            signal.signal(noted, signal.default_int_handler)

    def __exit__(self, *exc) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}
