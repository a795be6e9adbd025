"""Layer 1: which array library backs a tensor, the dtypes, and the seeded random generator.

Everything random in graphgrad (initialisation, dropout, shuffling, augmentation) draws from
``default_generator`` unless a ``Generator`` is passed explicitly, so ``manual_seed(n)`` makes a run
reproducible.
"""
from __future__ import annotations

import numpy as np

xp = np  # the array module; CuPy would slot in here when a GPU is present


def array_module(array) -> object:
    """The array library (``numpy`` or ``cupy``) that ``array`` belongs to."""
    mod = type(array).__module__
    if mod.startswith("cupy"):  # pragma: no cover - no GPU in CI
        import cupy

        return cupy
    return np


def check_device(device, op: str) -> None:
    """Refuse a device other than the CPU for ``op`` (a factory function, a layer, ``to``), as
    PyTorch refuses ``device="cuda"`` on a machine without CUDA: graphgrad has only the CPU, and
    a tensor silently made on the CPU when the code asked for a GPU would hide the mistake.
    ``None``, ``"cpu"``, ``"cpu:0"`` and ``device("cpu")`` pass."""
    if device is None:
        return
    name = str(device)
    if name.split(":")[0] != "cpu":
        raise RuntimeError(f"{op}: graphgrad runs on the CPU; device {name!r} is not available "
                           "(pass device='cpu' or leave it out)")


class dtype:
    """A graphgrad dtype: a named wrapper of a NumPy dtype that prints as PyTorch's does.

    Compares equal to itself, to the matching NumPy dtype and to the NumPy scalar type, so code that
    mixes ``graphgrad.float32`` and ``numpy.float32`` keeps working.
    """

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"graphgrad.{self.name}"

    def __eq__(self, other) -> bool:
        if isinstance(other, dtype):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.np)

    def __reduce__(self):  # dtypes pickle by name (used by multiprocessing data loaders)
        return (_by_name, (self.name,))


# Aliases (graphgrad.float, graphgrad.long, ...) are made in the package __init__, so that this
# module never shadows the builtins float and int.
float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool_)
_FROM_NP = {d.np: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def to_np_dtype(d) -> np.dtype:
    """Accept a graphgrad dtype, a NumPy dtype/type, or a name; return the NumPy dtype."""
    if isinstance(d, dtype):
        return d.np
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d].np
    if d is float:
        return _default_float[0].np
    if d is int:
        return int64.np
    if d is bool:
        return bool_.np
    try:
        nd = np.dtype(d)
    except TypeError as exc:
        raise TypeError(f"unknown dtype {d!r}; expected one like graphgrad.float32") from exc
    if nd not in _FROM_NP:
        raise TypeError(f"dtype {nd} is not supported by graphgrad; supported: {', '.join(_NAMES)}")
    return nd


def from_np_dtype(nd: np.dtype) -> dtype:
    """The graphgrad dtype for a NumPy dtype."""
    try:
        return _FROM_NP[nd]
    except KeyError:
        raise TypeError(f"NumPy dtype {nd} has no graphgrad equivalent; supported: {', '.join(_NAMES)}")


_default_float = [float32]


def get_default_dtype() -> dtype:
    """The floating dtype new tensors get from Python floats (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(d) -> None:
    """Set the floating dtype used for Python floats and random tensors (float32 or float64)."""
    nd = to_np_dtype(d)
    if nd.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {d!r}")
    _default_float[0] = _FROM_NP[nd]


class Generator:
    """A seeded source of random numbers, as ``torch.Generator`` (CPU only)."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self._seed = np.random.SeedSequence().entropy % (2**63)
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        self.manual_seed(np.random.SeedSequence().entropy % (2**63))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed every random draw in graphgrad (and NumPy's legacy global generator, for user code)."""
    default_generator.manual_seed(seed)
    np.random.seed(int(seed) % (2**32))
    return default_generator


def initial_seed() -> int:
    return default_generator.initial_seed()


def rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the package default."""
    return (generator or default_generator).rng


# ----------------------------------------------------------------------------------- threads
# graphgrad's parallel work is the BLAS library's (matrix products and convolutions); NumPy's
# elementwise ops run on one thread. threadpoolctl finds whichever BLAS NumPy loaded (OpenBLAS, MKL,
# BLIS, Accelerate) and sets its thread count through that library's own API.
def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the BLAS library behind NumPy, as ``torch.set_num_threads``: it applies
    to the BLAS libraries loaded in the process (NumPy's is, once graphgrad is imported)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    from threadpoolctl import ThreadpoolController

    ThreadpoolController().select(user_api="blas").limit(limits=int(n))
    _intra_op_threads[0] = int(n)


def get_num_threads() -> int:
    """The number of threads the BLAS library behind NumPy uses (``torch.get_num_threads``)."""
    from threadpoolctl import ThreadpoolController

    info = ThreadpoolController().select(user_api="blas").info()
    return max((i["num_threads"] for i in info), default=1)


_intra_op_threads = [None]


def intra_op_threads() -> int:
    """How many threads graphgrad's own array loops may use (``ops._parallel``): the BLAS thread
    count, read once (``set_num_threads`` changes both)."""
    if _intra_op_threads[0] is None:
        _intra_op_threads[0] = get_num_threads()
    return _intra_op_threads[0]
