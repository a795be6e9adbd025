"""The run folder: ``runs/<name>-<timestamp>/`` with ``config.json``, ``metrics.jsonl``,
``checkpoint.npz``, ``plots/`` and ``report.md``. Every file is written atomically, with the
permissions the user's umask gives new files."""
from __future__ import annotations

import json
import os
import re
import time

from ..serialization import atomic_write

# Temporary files of atomic writes: ``.<name>.<8 hex digits>.<suffix>`` (``.part`` and
# ``.tmp-*`` from older versions). Only a killed process leaves one behind.
_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{8}\.[a-z]+$|^\..+\.part$|^\.tmp-")


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    data = text.encode("utf-8")
    atomic_write(path, lambda f: f.write(data))


class RunDir:
    """A folder that holds everything one training run leaves behind."""

    CONFIG = "config.json"
    METRICS = "metrics.jsonl"
    CHECKPOINT = "checkpoint.npz"
    REPORT = "report.md"

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        os.makedirs(self.path, exist_ok=True)  # plots/ appears with the first plot

    @classmethod
    def create(cls, root: str, name: str) -> "RunDir":
        """A new folder ``root/name-YYYYmmdd-HHMMSS`` (a suffix keeps names unique)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = os.path.join(root, f"{name}-{stamp}")
        path, n = base, 1
        while os.path.exists(path):
            n += 1
            path = f"{base}-{n}"
        return cls(path)

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    @property
    def plots(self) -> str:
        return os.path.join(self.path, "plots")

    @property
    def checkpoint(self) -> str:
        return self.file(self.CHECKPOINT)

    def write_config(self, config: dict) -> None:
        atomic_write_text(self.file(self.CONFIG), json.dumps(config, indent=2, sort_keys=True) + "\n")

    def read_config(self) -> dict:
        path = self.file(self.CONFIG)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{self.path} is not a run folder: it has no {self.CONFIG}")
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def write_metrics(self, history: list) -> None:
        """Rewrite metrics.jsonl from the full history (so a resumed run never duplicates lines)."""
        text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in history)
        atomic_write_text(self.file(self.METRICS), text)

    def read_metrics(self) -> list:
        path = self.file(self.METRICS)
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def remove_temporary_files(self) -> list:
        """Delete what interrupted atomic writes left behind (``.checkpoint.npz.<random>.tmp``
        and the like) anywhere in this folder; returns their paths. Only call it when no other
        process writes into the folder."""
        removed = []
        for folder, _, names in os.walk(self.path):
            for name in names:
                if _TEMPORARY.match(name):
                    path = os.path.join(folder, name)
                    try:
                        os.unlink(path)
                        removed.append(path)
                    except FileNotFoundError:
                        pass
        return removed
