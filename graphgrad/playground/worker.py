"""The one thread that does all of the sessions' numerical work, clicks before training.

One thread, not several: graphgrad's grad mode and its seeded generator are process-wide (PyTorch
keeps grad mode per thread), so two threads training at once would switch graph recording off under
each other. A click (a setting, a step, "show code") goes ahead of the queued training chunks, so it
waits at most for the chunk that is running, however many tabs are playing."""
from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from concurrent.futures import Future

URGENT, TRAINING = 0, 1


class Worker:
    def __init__(self):
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()  # first come, first served within a priority
        self._thread = threading.Thread(target=self._serve, name="playground-worker", daemon=True)
        self._thread.start()

    async def run(self, priority: int, fn, *args):
        """``fn(*args)`` on the worker thread; URGENT work goes ahead of TRAINING work."""
        future: Future = Future()
        self._queue.put((priority, next(self._order), future, fn, args))
        return await asyncio.wrap_future(future)

    def _serve(self) -> None:
        while True:
            _, _, future, fn, args = self._queue.get()
            if fn is None:
                return
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # handed to whoever awaits it
                    future.set_exception(exc)

    def shutdown(self) -> None:
        """Finish the work under way, drop what is queued, and end the thread."""
        while True:
            try:
                _, _, future, _, _ = self._queue.get_nowait()
            except queue.Empty:
                break
            future.cancel()
        self._queue.put((TRAINING + 1, next(self._order), None, None, ()))
        self._thread.join()
