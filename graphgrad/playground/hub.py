"""The server's sessions: creating, finding and expiring them, training the playing ones, and
streaming their frames to their pages' WebSockets.

All of this runs on the event loop; a session's own work (training, drawing, changing settings)
runs in a small thread pool, so one tab's training never stalls another tab or the server."""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

from .session import Session

FRAME_SECONDS = 0.1     # training time between two frames: several frames a second
CLOSED_GRACE = 30.0     # a session whose page closed is dropped after this long without a new one
IDLE_SECONDS = 600.0    # a session without a page is dropped after this long without a request


class TooManySessions(RuntimeError):
    """The server holds its maximum number of sessions."""


class Live:
    """A session with the WebSockets of its page(s) and the task that trains it while playing."""

    def __init__(self, session: Session):
        self.session = session
        self.sockets: set = set()
        self.runner: asyncio.Task | None = None
        self.last_seen = time.monotonic()
        self.closed_at: float | None = None

    def expired(self, now: float) -> bool:
        if self.sockets:
            return False
        if self.closed_at is not None:
            return now - self.closed_at > CLOSED_GRACE
        return now - self.last_seen > IDLE_SECONDS


class Hub:
    """At most ``max_sessions`` sessions; their work runs on ``workers`` threads."""

    def __init__(self, max_sessions: int = 32, workers: int | None = None):
        self.max_sessions = max_sessions
        self.sessions: dict[str, Live] = {}
        self.pool = ThreadPoolExecutor(workers or min(4, os.cpu_count() or 1),
                                       thread_name_prefix="playground")

    async def call(self, fn, *args):
        """Run ``fn(*args)`` (a session method: numerical work) on the pool."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    def create(self, settings: dict | None = None) -> tuple[str, Live]:
        """A new session (its settings checked); TooManySessions when full even after expiring."""
        self.expire()
        if len(self.sessions) >= self.max_sessions:
            raise TooManySessions(f"the playground already has {self.max_sessions} sessions open, its "
                                  "limit; close another tab or wait a minute")
        live = Live(Session(settings))
        key = secrets.token_urlsafe(12)
        self.sessions[key] = live
        return key, live

    def get(self, key: str) -> Live | None:
        live = self.sessions.get(key)
        if live is not None:
            live.last_seen = time.monotonic()
        return live

    def expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, live in self.sessions.items() if live.expired(now)]:
            self._drop(key)

    def _drop(self, key: str) -> None:
        live = self.sessions.pop(key)
        live.session.stop()
        if live.runner is not None:
            live.runner.cancel()

    def play(self, live: Live) -> None:
        """Start the session's runner unless one is running."""
        if live.runner is None or live.runner.done():
            live.runner = asyncio.get_running_loop().create_task(self._run(live))

    async def _run(self, live: Live) -> None:
        while True:
            frame = await self.call(live.session.train_for, FRAME_SECONDS)
            await self.send(live, frame)
            if not frame["playing"]:
                return

    async def send(self, live: Live, *messages: dict) -> None:
        """Send messages to every page of the session; a page that went away is forgotten."""
        texts = [json.dumps(m, separators=(",", ":")) for m in messages]
        for ws in list(live.sockets):
            try:
                for text in texts:
                    await ws.send_str(text)
            except (ConnectionError, RuntimeError):
                live.sockets.discard(ws)

    def attach(self, live: Live, ws) -> None:
        live.sockets.add(ws)
        live.closed_at = None

    def detach(self, live: Live, ws) -> None:
        """A page closed: once it was the last one, pause, and drop the session after a grace time
        (a reloaded or reconnecting page comes back within it)."""
        live.sockets.discard(ws)
        if not live.sockets:
            live.closed_at = time.monotonic()
            live.session.stop()

    async def close(self) -> None:
        """Server shutdown: close every page's socket, stop every runner, then the pool."""
        for key in list(self.sessions):
            live = self.sessions[key]
            for ws in list(live.sockets):
                await ws.close(code=1001, message=b"server shutting down")
            self._drop(key)
        self.pool.shutdown(wait=True, cancel_futures=True)
