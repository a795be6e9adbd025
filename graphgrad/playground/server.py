"""The playground's web server, on aiohttp: the page (static files shipped in the package), a JSON API,
and one WebSocket per page that streams frames while the network trains.

API (every error is a JSON object ``{"error": "..."}`` with a 4xx status; the server keeps running):

    POST /api/sessions                  {settings...} (optional) -> {"id", "settings", "choices", "datasets"}
    POST /api/sessions/ID/settings      {"dataset": "xor", "hidden": [4, 4], ...} -> {"settings"}
    POST /api/sessions/ID/action        {"action": "play" | "pause" | "step" | "reset" | "regenerate"}
    GET  /api/sessions/ID/frame         the epoch, losses, heat maps and weights now
    GET  /api/sessions/ID/code          the equivalent Python program (text/plain)
    GET  /api/sessions/ID/ws            WebSocket: a "setup" message (settings, points), then frames
"""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import webbrowser
from importlib import resources

from aiohttp import WSMsgType, web
from threadpoolctl import threadpool_limits

from . import datasets, settings as settings_module
from .hub import Hub, TooManySessions
from .settings import SettingsError

STATIC = resources.files("graphgrad.playground") / "static"
MAX_BODY = 64 * 1024
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
SECURITY_HEADERS = {
    # the page loads nothing from anywhere else, and no other site may frame it
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
HUB = web.AppKey("hub", Hub)
log = logging.getLogger("graphgrad.playground")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _guard(loopback: bool):
    """Refuse requests from other sites' pages (their Origin) and, on a loopback address, requests
    for another host name (DNS rebinding); turn every failure of an API call into a JSON error."""
    async def answer(request: web.Request, handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return _error(403, f"cross-origin request from {origin} refused")
        if loopback and (request.url.host or "") not in LOOPBACK_NAMES:
            return _error(403, f"host {request.host!r} refused: the playground answers to 127.0.0.1 only")
        try:
            return await handler(request)
        except SettingsError as exc:
            return _error(400, str(exc))
        except TooManySessions as exc:
            return _error(503, str(exc))
        except web.HTTPException as exc:
            if not request.path.startswith("/api/") or exc.status < 400:
                raise
            if exc.text in (None, f"{exc.status}: {exc.reason}"):  # aiohttp's own text says little
                return _error(exc.status, f"{exc.reason}: {request.method} {request.path}")
            return _error(exc.status, exc.text)
        except Exception as exc:  # a bug: log it, answer, and keep serving
            log.exception("playground: %s %s failed", request.method, request.path)
            return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    @web.middleware
    async def guard(request: web.Request, handler):
        response = await answer(request, handler)
        if not response.prepared:  # a WebSocket has sent its headers already
            response.headers.update(SECURITY_HEADERS)
        return response
    return guard


async def _body(request: web.Request) -> dict:
    data = await request.read()
    if not data.strip():
        return {}
    try:
        body = json.loads(data)  # bytes: UTF-8 (or -16/-32), as JSON allows
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise SettingsError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise SettingsError(f"the request body must be a JSON object, got {type(body).__name__}")
    return body


def _choices() -> dict:
    s = settings_module
    return {"features": s.FEATURES, "activations": s.ACTIVATIONS, "regularizations": s.REGULARIZATIONS,
            "learning_rates": s.LEARNING_RATES, "regularization_rates": s.REGULARIZATION_RATES,
            "max_layers": s.MAX_LAYERS, "max_neurons": s.MAX_NEURONS}


def _previews() -> dict:
    """A few points of each data set for the page's thumbnails."""
    previews = {}
    for name in datasets.GENERATORS:
        points, labels = datasets.generate(name, 200, 0.0, seed=7)
        previews[name] = {"problem": datasets.PROBLEM_OF[name], "title": datasets.TITLES[name],
                          "points": [[round(float(x), 2), round(float(y), 2), round(float(v), 2)]
                                     for (x, y), v in zip(points, labels)]}
    return previews


class Routes:
    def __init__(self, hub: Hub):
        self.hub = hub
        self.previews = _previews()

    def live(self, request: web.Request):
        live = self.hub.get(request.match_info["id"])
        if live is None:
            raise web.HTTPNotFound(text="no such session (it may have expired): reload the page")
        return live

    async def index(self, request):
        return web.Response(body=(STATIC / "index.html").read_bytes(), content_type="text/html")

    async def create(self, request):
        body = await _body(request)
        key, live = await self.hub.create(body)
        return web.json_response({"id": key, "settings": live.session.settings, "choices": _choices(),
                                  "datasets": self.previews})

    async def change(self, request):
        live = self.live(request)
        body = await _body(request)
        before = live.session.settings
        after = await self.hub.call(live.session.change, body)
        restarted = any(after[k] != before[k] for k in settings_module.RESTARTS)
        await self._push(live, setup=restarted)
        return web.json_response({"settings": after})

    async def action(self, request):
        live = self.live(request)
        body = await _body(request)
        action = body.get("action")
        await self.hub.call(live.session.act, action)
        if action == "play":
            self.hub.play(live)
        else:
            await self._push(live, setup=action in ("reset", "regenerate"))
        return web.json_response({"playing": live.session.playing, "epoch": live.session.epoch})

    async def frame(self, request):
        return web.json_response(await self.hub.call(self.live(request).session.frame))

    async def code(self, request):
        text = await self.hub.call(self.live(request).session.code)
        return web.Response(text=text, content_type="text/plain")

    async def socket(self, request):
        live = self.live(request)
        ws = web.WebSocketResponse(heartbeat=20, compress=False, max_msg_size=MAX_BODY)
        await ws.prepare(request)
        self.hub.attach(live, ws)
        try:
            await self._push(live, setup=True)
            async for message in ws:  # the page sends nothing; requests go over HTTP
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            self.hub.detach(live, ws)
        return ws

    async def _push(self, live, setup: bool) -> None:
        messages = [await self.hub.call(live.session.setup)] if setup else []
        messages.append(await self.hub.call(live.session.frame))
        await self.hub.send(live, *messages)


async def _expire_regularly(app: web.Application):
    hub = app[HUB]

    async def loop():
        while True:
            await asyncio.sleep(10)
            hub.expire()
    task = asyncio.get_running_loop().create_task(loop())
    yield
    task.cancel()


def make_app(max_sessions: int = 32, loopback: bool = True) -> web.Application:
    """The aiohttp application: routes, the session hub, and its clean shutdown."""
    hub = Hub(max_sessions)
    app = web.Application(middlewares=[_guard(loopback)], client_max_size=MAX_BODY)
    app[HUB] = hub
    routes = Routes(hub)
    app.router.add_get("/", routes.index)
    app.router.add_static("/static/", STATIC)
    app.router.add_post("/api/sessions", routes.create)
    app.router.add_post("/api/sessions/{id}/settings", routes.change)
    app.router.add_post("/api/sessions/{id}/action", routes.action)
    app.router.add_get("/api/sessions/{id}/frame", routes.frame)
    app.router.add_get("/api/sessions/{id}/code", routes.code)
    app.router.add_get("/api/sessions/{id}/ws", routes.socket)
    app.cleanup_ctx.append(_expire_regularly)
    app.on_shutdown.append(lambda app: hub.close())
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True,
          max_sessions: int = 32) -> None:
    """Serve the playground on ``host:port`` (port 0: any free port) until Ctrl-C; print its address
    and open it in the default browser unless ``open_browser`` is false. OSError if the port is taken."""
    sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    bound = sock.getsockname()[1]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{bound}/"
    # The playground's matrices are tiny (at most 10,201 x 8): BLAS threads only add hand-offs, which
    # made a frame ~10x slower on a busy machine. One thread for this process's BLAS.
    threadpool_limits(limits=1)
    app = make_app(max_sessions, loopback=host in LOOPBACK_NAMES)
    if open_browser:
        async def open_page(app):
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        app.on_startup.append(open_page)
    print(f"graphgrad playground: {url} (Ctrl-C to stop)", flush=True)
    web.run_app(app, sock=sock, print=None, shutdown_timeout=5, access_log=None)
    print("graphgrad playground: stopped", flush=True)
