"""The playground in a real browser: Debian's Chromium driven by Playwright, as a new user would use
the page. Skipped where Playwright or Chromium is missing (``.ci/run`` installs Chromium)."""
import base64
import io
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
# Playwright's own browser download is not possible here: launch the system's Chromium, offline.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser(server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """A page of the playground, with what its console said and every URL it asked for."""

    def wait(self, expression: str, timeout: float = 20.0, arg=None):
        """Poll a JavaScript expression until it is true. (Playwright's wait_for_function evaluates
        strings with eval, which the page's Content-Security-Policy rightly forbids.)"""
        deadline = time.monotonic() + timeout
        while not self.page.evaluate(expression, arg):
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout} s: {expression}")
            time.sleep(0.05)

    def __init__(self, context, url: str):
        self.page = context.new_page()
        self.problems, self.requests = [], []
        self.page.on("console", lambda m: self.problems.append(f"{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.wait("document.getElementById('test-loss').textContent !== '-'")

    def text(self, selector: str) -> str:
        return self.page.text_content(selector)

    def epoch(self) -> int:
        return int(self.text("#epoch").replace(",", ""))

    def test_loss(self) -> float:
        return float(self.text("#test-loss"))

    def click(self, selector: str, settle: bool = True):
        """Click, and wait until the page has the server's answer (the status line is not an error)."""
        before = self.page.evaluate("JSON.stringify(window.playground.session.settings)")
        self.page.click(selector)
        if settle:
            self.wait("(before) => JSON.stringify(window.playground.session.settings) !== before", arg=before)
            self.page.wait_for_timeout(150)  # the setup and first frame follow over the WebSocket

    def settings(self) -> dict:
        return self.page.evaluate("window.playground.session.settings")

    def heatmap_pixels(self) -> np.ndarray:
        """The output canvas as an (H, W, 4) array (read as a PNG: getImageData would make Chromium
        warn about repeated read-backs)."""
        url = self.page.evaluate("document.getElementById('heatmap').toDataURL('image/png')")
        return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))

    def train_until(self, threshold: float, seconds: float) -> float:
        """Press play and watch the shown test loss until it is under ``threshold`` (or time is up);
        pause. The lowest loss shown."""
        self.page.click("#play")
        deadline, lowest = time.monotonic() + seconds, float("inf")
        while time.monotonic() < deadline and not lowest < threshold:
            lowest = min(lowest, self.test_loss())
            time.sleep(0.1)
        self.page.click("#play")
        self.wait("!window.playground.controls.playing")
        self.page.wait_for_timeout(300)  # the last frame
        return lowest


@pytest.fixture
def tab(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 820})
    yield Tab(context, server.url)
    context.close()


def test_page_loads_with_no_console_errors_and_needs_no_network(tab, server):
    assert tab.text("#epoch") == "000,000"
    assert tab.page.locator("#datasets canvas:visible").count() == 4  # classification's data sets
    assert tab.page.locator(".column.hidden").count() == 2
    assert tab.problems == []
    own = (server.url, server.url.replace("http", "ws"), "data:")
    outside = [u for u in tab.requests if not u.startswith(own)]
    assert outside == []


def test_xor_with_a_layer_added_learns_and_its_code_runs(tab, tmp_path):
    tab.click("canvas[data-dataset=xor]")
    tab.click("#add-layer")
    assert tab.settings()["dataset"] == "xor" and tab.settings()["hidden"] == [4, 2, 2]
    before = tab.heatmap_pixels()
    start = time.monotonic()
    lowest = tab.train_until(0.1, 30)
    assert lowest < 0.1, f"test loss {lowest} after {time.monotonic() - start:.0f} s"
    after = tab.heatmap_pixels()
    changed = (before != after).any(axis=2).mean()
    assert changed > 0.2, f"{changed:.0%} of the heat map's pixels changed"
    screenshot = tmp_path / "playground-xor.png"
    tab.page.screenshot(path=str(screenshot))
    print(f"screenshot: {screenshot}")
    assert screenshot.stat().st_size > 10000

    shown = tab.test_loss()  # paused now: the state that "show code" writes out
    tab.page.click("#show-code")
    tab.page.wait_for_selector("#code-dialog[open]")
    code = tab.text("#code")
    assert "nn.Linear(4, 2), nn.Tanh()," in code and '"xor"' in code
    script = tmp_path / "xor.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"epoch {tab.epoch()}:"), last
    assert float(last.rsplit(" ", 1)[1]) == pytest.approx(shown, abs=2e-3)  # what the page showed
    tab.page.click("#close-code")
    assert tab.problems == []


def test_controls_do_what_they_say(tab):
    tab.page.click("#step")
    tab.wait("document.getElementById('epoch').textContent === '000,001'")
    tab.page.click("#reset")
    tab.wait("document.getElementById('epoch').textContent === '000,000'")

    tab.page.select_option("#problem", "regression")
    tab.wait("window.playground.session.settings.problem === 'regression'")
    assert tab.settings()["dataset"] == "plane"
    assert tab.page.locator("#datasets canvas:visible").count() == 2
    tab.click("canvas[data-dataset=multigauss]")
    tab.page.select_option("#problem", "classification")
    tab.wait("window.playground.session.settings.problem === 'classification'")

    tab.click(".node.feature[data-feature='sin(x1)']")
    assert tab.settings()["features"] == ["x1", "x2", "sin(x1)"]
    tab.click(".column.hidden >> nth=0 >> button[title^='Add a neuron']")
    tab.click("#remove-layer")
    assert tab.settings()["hidden"] == [5]
    assert tab.page.locator(".column.hidden .node").count() == 5
    assert tab.page.locator("#links path").count() == 3 * 5 + 5 * 1  # a line per weight

    tab.page.select_option("#learning_rate", "0.1")
    tab.page.select_option("#activation", "relu")
    tab.page.select_option("#regularization", "l2")
    tab.wait("!document.getElementById('regularization_rate').disabled")
    tab.page.select_option("#regularization_rate", "0.003")
    tab.wait("window.playground.session.settings.regularization_rate === 0.003")
    for key, value in (("noise", 20), ("train_percent", 70), ("batch_size", 25)):
        tab.page.fill(f"#{key}", str(value))
        tab.wait(f"window.playground.session.settings.{key} === {value}")
    settings = tab.settings()
    chosen = (settings["learning_rate"], settings["activation"], settings["regularization"])
    assert chosen == (0.1, "relu", "l2")
    assert len(tab.page.evaluate("window.playground.heatmap.train")) == 350  # 70% of 500

    points = tab.page.evaluate("window.playground.heatmap.train")
    tab.click("#regenerate")
    assert tab.page.evaluate("window.playground.heatmap.train") != points

    tab.page.check("#show-test")
    tab.page.check("#discretize")
    tab.click(".node.feature[data-feature='x1']")
    tab.click(".node.feature[data-feature='x2']")
    tab.click(".node.feature[data-feature='sin(x1)']", settle=False)  # the last feature: refused
    tab.page.wait_for_selector(".status.error.visible")
    assert "choose at least one input feature" in tab.text("#status")
    assert tab.settings()["features"] == ["sin(x1)"]


def test_two_tabs_train_their_own_networks(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 820})
    first, second = Tab(context, server.url), Tab(context, server.url)
    first.click("canvas[data-dataset=gauss]")
    first.page.click("#play")
    first.wait("parseInt(document.getElementById('epoch').textContent.replace(',', '')) > 20")
    second.click("canvas[data-dataset=spiral]")
    assert second.epoch() == 0 and second.settings()["dataset"] == "spiral"
    second.page.click("#step")
    second.wait("document.getElementById('epoch').textContent === '000,001'")
    first.page.click("#play")
    assert first.settings()["dataset"] == "gauss" and first.epoch() > 20
    assert first.problems == [] and second.problems == []
    context.close()


def test_spiral_learns_with_two_layers_of_eight_and_the_sine_features(tab):
    tab.click("canvas[data-dataset=spiral]")
    for name in ("sin(x1)", "sin(x2)"):
        tab.click(f".node.feature[data-feature='{name}']")
    for layer, clicks in ((0, 4), (1, 6)):
        for _ in range(clicks):
            tab.click(f".column.hidden >> nth={layer} >> button[title^='Add a neuron']")
    assert tab.settings()["hidden"] == [8, 8]
    assert tab.settings()["features"] == ["x1", "x2", "sin(x1)", "sin(x2)"]
    assert tab.train_until(0.2, 90) < 0.2
    assert re.fullmatch(r"\d{3},\d{3}", tab.text("#epoch"))
