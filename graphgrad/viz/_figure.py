"""Matplotlib set-up shared by the plots: a headless backend and an atomic PNG save."""
from __future__ import annotations

import os

from ..serialization import temporary_file


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | None, dpi: int = 110) -> None:
    """Save ``fig`` as PNG at ``path`` atomically (temporary file, then rename); None saves nothing."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = temporary_file(path, ".png")  # the umask's permissions, not mkstemp's 0600
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
