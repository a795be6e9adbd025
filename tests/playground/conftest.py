"""A real playground server for the tests: ``graphgrad playground --port 0 --no-browser`` in a
subprocess, and small HTTP helpers to talk to it as curl would."""
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest


class Server:
    def __init__(self):
        # stderr goes to a file: a pipe nobody reads could fill up and stall the server
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "graphgrad", "playground", "--port", "0", "--no-browser"],
            stdout=subprocess.PIPE, stderr=self.errors, text=True)
        line = self.process.stdout.readline()
        found = re.search(r"http://[\d.]+:\d+/", line)
        if not found:
            self.process.kill()
            raise RuntimeError(f"the playground did not start: {line!r} {self.stderr()}")
        self.url = found.group(0)

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read()

    def request(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None):
        """(status, decoded JSON or text) of one request; ``raw`` sends bytes as they are."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                status, text = response.status, response.read().decode()
                kind = response.headers["Content-Type"]
        except urllib.error.HTTPError as err:
            status, text, kind = err.code, err.read().decode(), err.headers["Content-Type"]
        return status, (json.loads(text) if "json" in (kind or "") else text)

    def session(self, **settings) -> str:
        status, answer = self.request("POST", "/api/sessions", settings)
        assert status == 200, answer
        return answer["id"]

    def train_until(self, key: str, threshold: float, seconds: float) -> dict:
        """Press play and watch the frames until the test loss is under ``threshold`` (or time is up);
        then pause. The frame that went under (or the last one)."""
        assert self.request("POST", f"/api/sessions/{key}/action", {"action": "play"})[0] == 200
        deadline = time.monotonic() + seconds
        while True:
            frame = self.request("GET", f"/api/sessions/{key}/frame")[1]
            loss = frame["test_loss"]
            if (loss is not None and loss < threshold) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        self.request("POST", f"/api/sessions/{key}/action", {"action": "pause"})
        return frame

    def stop(self, timeout: float = 20) -> tuple[int, str, str]:
        """Ctrl-C, as a person stops it: (exit status, stdout, stderr)."""
        self.process.send_signal(signal.SIGINT)
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise AssertionError(f"the server did not stop within {timeout} s on Ctrl-C: {self.stderr()}")
        return self.process.returncode, out, self.stderr()


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("aiohttp", reason="the playground's server needs aiohttp (graphgrad[playground])")
    running = Server()
    yield running
    status, _, err = running.stop()
    assert status == 0 and "Traceback" not in err, err


@pytest.fixture
def new_server():
    """Start another server (the test stops it)."""
    pytest.importorskip("aiohttp", reason="the playground's server needs aiohttp (graphgrad[playground])")
    return Server
