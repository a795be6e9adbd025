"""Arrays in shared memory, so that several processes update one tensor in place: Hogwild
training, where ``model.share_memory()`` is called before ``graphgrad.multiprocessing`` starts
processes that each train the same parameters (as with ``torch.multiprocessing``).

``Tensor.share_memory_()`` moves a tensor's array into a ``multiprocessing.shared_memory`` block;
pickling such a tensor (which is how ``multiprocessing`` hands arguments to a new process) sends
the block's name instead of the numbers, and the receiving process maps the same block. The
process that created a block removes it when it exits. Optimisers update ``p._data`` in place, so
every process sees every update. Arrays not in shared memory pickle as before (copied)."""
from __future__ import annotations

import atexit
import os
from multiprocessing import shared_memory

import numpy as np

# data address -> (SharedMemory, pid of the process that created it or None, nbytes). Blocks stay
# mapped for the life of the process: an array may still point into one.
_blocks: dict = {}


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def shared_block_name(array) -> str | None:
    """The shared-memory block that ``array`` is exactly (whole, C-contiguous), or None."""
    if not isinstance(array, np.ndarray) or not array.flags.c_contiguous:
        return None
    entry = _blocks.get(_address(array))
    return entry[0].name if entry is not None and entry[2] == array.nbytes else None


def to_shared(array: np.ndarray) -> np.ndarray:
    """A copy of ``array`` in a new shared-memory block (``array`` itself if it is one already)."""
    if shared_block_name(array) is not None:
        return array
    block = shared_memory.SharedMemory(create=True, size=max(array.nbytes, 1))
    out = np.ndarray(array.shape, array.dtype, buffer=block.buf)
    out[...] = array
    _blocks[_address(out)] = (block, os.getpid(), out.nbytes)
    return out


class SharedArray:
    """What a shared array pickles as: the block's name, dtype and shape."""

    def __init__(self, name: str, dtype: str, shape: tuple):
        self.name, self.dtype, self.shape = name, dtype, shape

    def __reduce__(self):
        return (attach, (self.name, self.dtype, self.shape))


def pickle_form(array):
    """``array`` as it should be pickled: a ``SharedArray`` handle if it lives in shared memory."""
    name = shared_block_name(array)
    return array if name is None else SharedArray(name, array.dtype.str, array.shape)


def attach(name: str, dtype: str, shape: tuple) -> np.ndarray:
    """Map the block ``name`` (made by another process) as an array of ``shape`` and ``dtype``."""
    block = shared_memory.SharedMemory(name=name)
    array = np.ndarray(shape, np.dtype(dtype), buffer=block.buf)
    _blocks.setdefault(_address(array), (block, None, array.nbytes))
    return array


@atexit.register
def _remove_own_blocks() -> None:
    for block, owner, _ in list(_blocks.values()):
        if owner == os.getpid():
            try:
                block.unlink()
            except FileNotFoundError:
                pass
