"""Keep freed memory inside the process (glibc's malloc only): an opt-in speed setting.

A training step allocates and frees the same multi-megabyte temporaries every step. By default glibc
hands large freed blocks back to the operating system (``munmap``, heap trimming), so the next step
faults every page in again: on the project's machine a DCGAN step took ~2,600 page faults, ~10% of
its time (docs/performance.md). ``keep_freed_memory()`` tells malloc to keep what it frees for
reuse instead. The cost: the process's resident memory stays at its peak rather than shrinking
between steps, which is why it is opt-in for library users; ``graphgrad run`` and the other
commands turn it on (set ``GRAPHGRAD_KEEP_FREED_MEMORY=0`` to leave malloc alone).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3

MMAP_THRESHOLD_BYTES = 2 ** 30  # blocks below 1 GiB come from the heap, so freeing them keeps them
TRIM_THRESHOLD_BYTES = 2 ** 31 - 1  # never give the top of the heap back
TOP_PAD_BYTES = 256 * 2 ** 20  # grow the heap in 256 MiB steps (address space; pages fault lazily)


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
    return all(mallopt(param, value) == 1 for param, value in settings)
