"""Ctrl-C during training, taken at a batch boundary.

A KeyboardInterrupt raised in the middle of a step (between ``loss.backward()`` and the last
parameter update of ``optimizer.step()``, or with a batch-norm statistic updated and the weights not
yet) would leave a state that no checkpoint should hold. So while ``fit`` runs, the first Ctrl-C is
only noted; the loop sees it at the end of the step under way, writes a checkpoint of that
consistent state and then raises KeyboardInterrupt. A second Ctrl-C interrupts at once.
"""
from __future__ import annotations

import signal
import threading


class DeferredInterrupt:
    """Context manager: note the first SIGINT in ``requested`` instead of raising. Installed only
    in the main thread and only over Python's default handler (a program that handles SIGINT its
    own way, or ignores it, keeps its handler)."""

    def __init__(self):
        self.requested = False
        self._installed = False

    def __enter__(self):
        self.requested = False
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            signal.signal(signal.SIGINT, self._note)
            self._installed = True
        return self

    def _note(self, signum, frame) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C stops at once

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self._installed = False
