"""The playground's server, used as curl and the page use it: its JSON API, bad requests, several
sessions at once, the WebSocket stream, each data set trained to the lecture's losses, Ctrl-C."""
import asyncio
import subprocess
import sys
import threading
import time

import pytest

aiohttp = pytest.importorskip("aiohttp", reason="the playground's server needs aiohttp")


def test_page_and_static_files_are_served(server):
    status, page = server.request("GET", "/")
    assert status == 200 and '<script type="module" src="/static/js/main.js">' in page
    for path in ("/static/style.css", "/static/js/main.js", "/static/js/network.js"):
        assert server.request("GET", path)[0] == 200, path
    assert server.request("GET", "/static/../server.py")[0] in (403, 404)


def test_session_api(server):
    status, info = server.request("POST", "/api/sessions", {"dataset": "xor"})
    assert status == 200 and info["settings"]["dataset"] == "xor"
    assert set(info["datasets"]) == {"circle", "xor", "gauss", "spiral", "plane", "multigauss"}
    key = info["id"]
    status, answer = server.request("POST", f"/api/sessions/{key}/settings", {"hidden": [3, 3, 3]})
    assert status == 200 and answer["settings"]["hidden"] == [3, 3, 3]
    assert server.request("POST", f"/api/sessions/{key}/action", {"action": "step"}) == \
        (200, {"playing": False, "epoch": 1})
    frame = server.request("GET", f"/api/sessions/{key}/frame")[1]
    assert frame["epoch"] == 1 and len(frame["weights"]) == 4
    status, code = server.request("GET", f"/api/sessions/{key}/code")
    assert status == 200 and "nn.Linear(3, 3), nn.Tanh()," in code and '"xor"' in code


BAD_REQUESTS = [
    # (method, path, body or raw bytes, status, words of the error)
    ("POST", "settings", {"dataset": "moons"}, 400, "dataset: unknown value 'moons'"),
    ("POST", "settings", {"hidden": [4] * 50}, 400, "at most 6 hidden layers, got 50"),
    ("POST", "settings", {"learning_rate": "fast"}, 400, "learning_rate: expected a number, got 'fast'"),
    ("POST", "settings", b"{not json", 400, "not valid JSON"),
    ("POST", "settings", b"[" * 100000, 413, "body size 65536 exceeded"),
    ("POST", "settings", b"[1, 2]", 400, "must be a JSON object"),
    ("POST", "settings", b"\xff\xfe", 400, "not valid JSON"),
    ("POST", "action", {"action": "explode"}, 400, "unknown action 'explode'"),
    ("GET", "settings", None, 405, "Method Not Allowed"),
]


@pytest.mark.parametrize("method,path,body,status,words", BAD_REQUESTS, ids=[b[4] for b in BAD_REQUESTS])
def test_bad_requests_get_a_clear_error_and_the_server_keeps_serving(server, method, path, body, status,
                                                                     words):
    key = server.session()
    raw = body if isinstance(body, bytes) else None
    got, answer = server.request(method, f"/api/sessions/{key}/{path}", None if raw else body, raw=raw)
    assert got == status and words in answer["error"], answer
    assert server.request("GET", f"/api/sessions/{key}/frame")[0] == 200  # the session is intact
    assert server.request("GET", "/")[0] == 200


def test_unknown_sessions_and_foreign_pages_are_refused(server):
    got, answer = server.request("GET", "/api/sessions/nosuch/frame")
    assert got == 404 and "no such session" in answer["error"]
    got, answer = server.request("POST", "/api/sessions", {}, headers={"Origin": "http://evil.example"})
    assert got == 403 and "cross-origin" in answer["error"]
    got, answer = server.request("GET", "/", headers={"Host": "evil.example"})
    assert got == 403 and "127.0.0.1 only" in answer["error"]


def test_two_sessions_are_independent(server):
    first, second = server.session(dataset="xor"), server.session()
    server.request("POST", f"/api/sessions/{first}/action", {"action": "play"})
    time.sleep(1.0)
    server.request("POST", f"/api/sessions/{first}/action", {"action": "pause"})
    one = server.request("GET", f"/api/sessions/{first}/frame")[1]
    two = server.request("GET", f"/api/sessions/{second}/frame")[1]
    assert one["epoch"] > 0 and two["epoch"] == 0
    assert server.request("GET", f"/api/sessions/{second}/code")[1].count('"circle"') == 1


def test_training_does_not_block_the_server(server):
    """Two sessions train at full speed; the page and a third session still answer at once."""
    keys = [server.session(dataset="spiral", hidden=[8, 8, 8]) for _ in range(2)]
    for key in keys:
        server.request("POST", f"/api/sessions/{key}/action", {"action": "play"})
    other = server.session()
    delays = []
    for _ in range(5):
        start = time.perf_counter()
        assert server.request("GET", "/")[0] == 200
        assert server.request("POST", f"/api/sessions/{other}/settings", {"learning_rate": 0.1})[0] == 200
        delays.append(time.perf_counter() - start)
        time.sleep(0.2)
    for key in keys:
        server.request("POST", f"/api/sessions/{key}/action", {"action": "pause"})
    assert sorted(delays)[2] < 0.5, delays  # the median; a training chunk is 0.1 s


async def _stream(url: str, key: str, seconds: float) -> list:
    messages = []
    async with aiohttp.ClientSession() as client:
        async with client.ws_connect(f"{url}api/sessions/{key}/ws") as ws:
            messages.append(await ws.receive_json(timeout=10))
            messages.append(await ws.receive_json(timeout=10))
            async with client.post(f"{url}api/sessions/{key}/action", json={"action": "play"}) as answer:
                assert answer.status == 200
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                messages.append(await ws.receive_json(timeout=10))
    return messages


def test_websocket_streams_setup_then_several_frames_a_second(server):
    key = server.session(dataset="gauss")
    messages = asyncio.run(_stream(server.url, key, 2.0))
    setup, *frames = messages
    assert setup["type"] == "setup" and setup["settings"]["dataset"] == "gauss"
    assert len(setup["train"]) == 250 and len(setup["train"][0]) == 3
    assert all(f["type"] == "frame" for f in frames)
    epochs = [f["epoch"] for f in frames]
    assert epochs == sorted(epochs) and epochs[-1] > epochs[0]
    assert len(frames) >= 6, f"{len(frames)} frames in 2 s"


DATASETS = [  # settings, the test loss to reach, seconds allowed
    ({"dataset": "circle"}, 0.1, 60),
    ({"dataset": "xor"}, 0.1, 60),
    ({"dataset": "gauss"}, 0.1, 60),
    ({"dataset": "spiral", "hidden": [8, 8], "features": ["x1", "x2", "sin(x1)", "sin(x2)"]}, 0.2, 120),
    # regression (mean squared error): well under the labels' variance (plane 0.24, multigauss 0.085)
    ({"dataset": "plane"}, 0.01, 60),
    ({"dataset": "multigauss", "hidden": [8, 8], "learning_rate": 0.1}, 0.02, 120),
]


@pytest.mark.parametrize("settings,threshold,seconds", DATASETS, ids=[d[0]["dataset"] for d in DATASETS])
def test_each_dataset_trains_to_the_lectures_loss(server, settings, threshold, seconds):
    key = server.session(**settings)
    frame = server.train_until(key, threshold, seconds)
    assert frame["test_loss"] < threshold, f"{settings}: {frame['test_loss']} at epoch {frame['epoch']}"


def test_shown_code_from_the_server_runs(server, tmp_path):
    key = server.session(dataset="circle", regularization="l2", regularization_rate=0.001)
    server.train_until(key, 0.1, 60)
    frame = server.request("GET", f"/api/sessions/{key}/frame")[1]  # paused: the page's final state
    script = tmp_path / "circle.py"
    script.write_text(server.request("GET", f"/api/sessions/{key}/code")[1])
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"epoch {frame['epoch']}:"), last
    assert float(last.rsplit(" ", 1)[1]) == pytest.approx(frame["test_loss"], abs=2e-3)


def test_ctrl_c_stops_the_server_cleanly_while_pages_are_open_and_training(new_server):
    running = new_server()
    key = running.session(dataset="spiral")
    ready = threading.Event()

    async def hold_page_open():
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(f"{running.url}api/sessions/{key}/ws") as ws:
                ready.set()
                async for _ in ws:  # until the server closes it
                    pass
    page = threading.Thread(target=asyncio.run, args=(hold_page_open(),))
    page.start()
    assert ready.wait(20)
    running.request("POST", f"/api/sessions/{key}/action", {"action": "play"})
    time.sleep(0.5)
    start = time.monotonic()
    status, out, err = running.stop()
    page.join(10)
    assert status == 0 and "stopped" in out and "Traceback" not in err, err
    assert time.monotonic() - start < 10 and not page.is_alive()


def test_a_taken_port_is_one_clear_line(server):
    port = server.url.rsplit(":", 1)[1].strip("/")
    result = subprocess.run([sys.executable, "-m", "graphgrad", "playground", "--port", port, "--no-browser"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("graphgrad: error: playground: cannot listen on 127.0.0.1:")
