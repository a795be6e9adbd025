"""graphgrad: a deep-learning framework on NumPy with PyTorch's API.

``import graphgrad as torch`` is meant to run PyTorch code that uses the features graphgrad has.
"""
import math as _math

from . import _blas_spin  # noqa: F401  (first: it must run before NumPy loads OpenBLAS)
from . import allocator, backend
from .autograd import Function, Size, Tensor, enable_grad, inference_mode, is_grad_enabled
from .autograd import no_grad, set_grad_enabled
from .backend import (Generator, bool_, default_generator, dtype, float16, float32, float64,
                      get_default_dtype, get_num_threads, initial_seed, int8, int16, int32, int64,
                      manual_seed, set_default_dtype, set_num_threads, uint8)
from .ops import *  # noqa: F401,F403
from . import autograd, ops  # noqa: F401
from . import distributed  # noqa: F401
from .serialization import load, load_safetensors, save, save_safetensors  # noqa: F401
from . import nn, optim  # noqa: F401
from . import utils, vision, text  # noqa: F401,E402
from . import onnx  # noqa: F401,E402  (graphgrad.onnx.export; the onnx package loads only when it runs)
from . import accelerator, backends, cuda, distributions, linalg, special  # noqa: F401,E402
from . import multiprocessing, testing, version  # noqa: F401,E402
from .models.summary import summary  # noqa: F401

# Freed memory stays in the process for reuse (no page faults on every step's temporaries);
# GRAPHGRAD_KEEP_FREED_MEMORY=0 opts out. See graphgrad/allocator.py and docs/performance.md.
allocator.configure_from_environment()

# PyTorch's dtype aliases; defined here so that no module of graphgrad shadows the builtins.
half = float16
float = float32  # noqa: A001
double = float64
short = int16
int = int32  # noqa: A001
long = int64
bool = bool_  # noqa: A001

# PyTorch's numeric constants
pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None

__version__ = version.__version__


def is_tensor(obj) -> "builtins.bool":
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> "builtins.int":
    return input.numel()


def device(name: str = "cpu"):
    """graphgrad runs on the CPU; ``device('cpu')`` returns the string 'cpu'."""
    if str(name).split(":")[0] != "cpu":
        raise RuntimeError(f"device: only 'cpu' is available in graphgrad, got {name!r}")
    return "cpu"
