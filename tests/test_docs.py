"""Every ```python block in README.md and docs/*.md runs: the docs' examples are real.

Blocks in one page run in order in a shared namespace (later examples may use earlier names), in a
temporary working folder. Use ```text or ```bash for anything that should not be executed."""
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
PAGES = ["README.md"] + sorted(os.path.join("docs", p) for p in os.listdir(os.path.join(ROOT, "docs"))
                               if p.endswith(".md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_docs_pages_exist():
    for page in ("autograd", "layers", "data", "training", "recipes", "performance", "distributed",
                 "export"):
        assert os.path.exists(os.path.join(ROOT, "docs", f"{page}.md")), page


@pytest.mark.parametrize("page", PAGES)
def test_python_examples_run(page, tmp_path, monkeypatch):
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        blocks = BLOCK.findall(f.read())
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"{page} block {i + 1}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            raise AssertionError(f"{page}, python block {i + 1} failed: {exc!r}\n{code}") from exc


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES)
def test_local_links_and_images_exist(page):
    """Every relative link or image in a page points at a file of the repository."""
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        targets = LINK.findall(f.read())
    folder = os.path.dirname(os.path.join(ROOT, page))
    missing = [t for t in targets if not re.match(r"[a-z]+:|#", t)
               and not os.path.exists(os.path.join(folder, t.split("#")[0]))]
    assert not missing, f"{page} links to missing files: {missing}"
