"""Embedded English and Python corpora that need no files: what every CPython ships.

* ``python_docs_text()``: the documentation prose of ``pydoc_data/topics.py`` (the text behind
  ``help('topic')``), read as a file and parsed with ``ast.literal_eval`` (never imported).
* ``python_source_text()``: the standard library's own ``.py`` source, for a code corpus.
"""
from __future__ import annotations

import ast
import os
import sysconfig

__all__ = ["python_docs_text", "python_source_text", "load_corpus", "stdlib_dir"]

_cache: dict = {}


def stdlib_dir() -> str:
    """The folder of the running interpreter's standard library."""
    return sysconfig.get_paths()["stdlib"]


def python_docs_text() -> str:
    """The pydoc topic texts joined in sorted topic order (several hundred kB of English)."""
    if "docs" in _cache:
        return _cache["docs"]
    path = os.path.join(stdlib_dir(), "pydoc_data", "topics.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"python_docs_text: {path} is missing; this Python was installed "
                                "without pydoc_data")
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    topics = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "topics"
                                                for t in node.targets):
            topics = ast.literal_eval(node.value)
    if not isinstance(topics, dict) or not topics:
        raise ValueError(f"python_docs_text: {path} has no 'topics' dictionary")
    text = "\n\n".join(topics[k].strip() for k in sorted(topics))
    _cache["docs"] = text
    return text


def python_source_text(max_chars: int | None = 2_000_000, packages=None) -> str:
    """Standard-library source files in sorted path order, joined by blank lines, up to
    ``max_chars`` characters. ``packages`` (names such as ``['json', 'email']``) restricts the
    files to those modules/packages; tests, site-packages and idlelib are skipped."""
    key = ("source", max_chars, tuple(packages) if packages else None)
    if key in _cache:
        return _cache[key]
    root = stdlib_dir()
    skip = {"site-packages", "dist-packages", "test", "tests", "idlelib", "__pycache__",
            "lib2to3", "turtledemo"}
    paths = []
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                top = rel.split(os.sep)[0].removesuffix(".py")
                if packages is None or top in packages:
                    paths.append(rel)
    pieces, total = [], 0
    for rel in sorted(paths):
        try:
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                src = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        pieces.append(src)
        total += len(src) + 2
        if max_chars is not None and total >= max_chars:
            break
    text = "\n\n".join(pieces)
    if max_chars is not None:
        text = text[:max_chars]
    _cache[key] = text
    return text


def load_corpus(name: str) -> str:
    """'python-docs' (English prose) or 'python-source' (Python code)."""
    if name == "python-docs":
        return python_docs_text()
    if name == "python-source":
        return python_source_text()
    raise ValueError(f"load_corpus: unknown corpus {name!r}; expected 'python-docs' or "
                     "'python-source'")
