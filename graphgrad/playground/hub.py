"""The server's sessions: creating, finding and expiring them, training the playing ones, and
streaming their frames to their pages' WebSockets.

All of this runs on the event loop; the sessions' own work (training, drawing, changing settings)
runs on one worker thread (``worker.py``), so that training never stalls the server; the playing
sessions take turns, in chunks short enough that each page gets several frames a second."""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time

from .session import Session
from .worker import TRAINING, URGENT, Worker

FRAME_SECONDS = 0.1     # the worker's time per frame, shared by the playing sessions
MIN_CHUNK = 0.02        # (but at least this much training per frame: drawing one takes a few ms)
CLOSED_GRACE = 30.0     # a session whose page closed is dropped after this long without a new one
IDLE_SECONDS = 600.0    # a session without a page is dropped after this long without a request
log = logging.getLogger("graphgrad.playground")


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
    """At most ``max_sessions`` sessions; their numerical work runs on one worker thread."""

    def __init__(self, max_sessions: int = 32):
        self.max_sessions = max_sessions
        self.sessions: dict[str, Live] = {}
        self.worker = Worker()

    async def call(self, fn, *args):
        """Run ``fn(*args)`` (a session method: numerical work) on the worker, ahead of training."""
        return await self.worker.run(URGENT, fn, *args)

    async def create(self, settings: dict | None = None) -> tuple[str, Live]:
        """A new session (its settings checked: SettingsError); TooManySessions when the hub is full
        even after letting expired sessions go."""
        self._make_room()
        session = await self.call(Session, settings)  # makes data and a network: off the loop
        self._make_room()  # others may have been created meanwhile
        key = secrets.token_urlsafe(12)
        self.sessions[key] = Live(session)
        return key, self.sessions[key]

    def _make_room(self) -> None:
        self.expire()
        if len(self.sessions) >= self.max_sessions:
            raise TooManySessions(f"the playground already has {self.max_sessions} sessions open, its "
                                  "limit; close another tab or wait a minute")

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
        try:
            while True:
                playing = sum(1 for other in self.sessions.values() if other.session.playing)
                chunk = max(MIN_CHUNK, FRAME_SECONDS / max(1, playing))  # each tab: several frames a second
                frame = await self.worker.run(TRAINING, live.session.train_for, chunk)
                await self.send(live, frame)
                if not frame["playing"]:
                    return
        except Exception:  # a bug: say so, stop this session's training, keep serving the others
            log.exception("playground: training a session failed")
            live.session.stop()

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
        """Server shutdown: close every page's socket, stop every runner, then the worker."""
        for key in list(self.sessions):
            live = self.sessions[key]
            for ws in list(live.sockets):
                await ws.close(code=1001, message=b"server shutting down")
            self._drop(key)
        self.worker.shutdown()
