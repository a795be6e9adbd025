"""Keep freed memory inside the process (glibc's malloc only): on by default from ``import graphgrad``.

A training step allocates and frees the same multi-megabyte temporaries every step. By default glibc
hands large freed blocks back to the operating system (``munmap``, heap trimming), so the next step
faults every page in again (~2.3 us per 4 KiB page on the project's machine): a CNN training step
spent ~30% of its time there, a DCGAN step ~15% (docs/performance.md). ``keep_freed_memory()`` tells
malloc to keep what it frees for reuse instead, and ``import graphgrad`` calls it, so every user
gets it. The cost: the process's resident memory stays near its peak rather than shrinking between
steps. Set ``GRAPHGRAD_KEEP_FREED_MEMORY=0`` before importing graphgrad to leave malloc alone.
The setting is process-wide: anything else in the process (PyTorch too) allocates the same way.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

ENV_VAR = "GRAPHGRAD_KEEP_FREED_MEMORY"

# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3

MMAP_THRESHOLD_BYTES = 2 ** 30  # blocks below 1 GiB come from the heap, so freeing them keeps them
TRIM_THRESHOLD_BYTES = 2 ** 31 - 1  # never give the top of the heap back
TOP_PAD_BYTES = 256 * 2 ** 20  # grow the heap in 256 MiB steps (address space; pages fault lazily)

_active = [False]


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse. Returns True when it took effect, False
    where there is no glibc (macOS, Windows, musl): nothing changes there."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    settings = ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
                (_M_TOP_PAD, TOP_PAD_BYTES))
    ok = all(mallopt(param, value) == 1 for param, value in settings)
    _active[0] = _active[0] or ok
    return ok


def keeps_freed_memory() -> bool:
    """Whether ``keep_freed_memory`` has taken effect in this process."""
    return _active[0]


def configure_from_environment() -> bool:
    """What ``import graphgrad`` runs: keep freed memory unless ``GRAPHGRAD_KEEP_FREED_MEMORY`` is
    ``0`` (or ``false``/``no``/``off``)."""
    if os.environ.get(ENV_VAR, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return keep_freed_memory()
