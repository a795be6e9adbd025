"""Layer 3: the differentiable primitives, one ``ArrayFunction`` each, and the public functions
built on them. Importing this package also attaches the tensor methods (``x.exp()``, ``x + y``)."""
from . import arithmetic, copying, creation, linalg, reduce, views  # noqa: F401  (registers methods)
from .arithmetic import (add, div, divide, floor_divide, mul, multiply, neg, negative, pow,
                         remainder, sub, subtract, true_divide)
from .copying import clone
from .creation import *  # noqa: F401,F403
from .creation import __all__ as _creation_all
from .linalg import bmm, dot, matmul, mm, mv, outer
from .reduce import mean, sum
from .views import (broadcast_to, expand, flatten, permute, ravel, reshape, squeeze, swapaxes,
                    swapdims, t, transpose, unflatten, unsqueeze)

__all__ = [
    "add", "div", "divide", "floor_divide", "mul", "multiply", "neg", "negative", "pow",
    "remainder", "sub", "subtract", "true_divide", "clone", "bmm", "dot", "matmul", "mm", "mv",
    "outer", "mean", "sum", "broadcast_to", "expand", "flatten", "permute", "ravel", "reshape",
    "squeeze", "swapaxes", "swapdims", "t", "transpose", "unflatten", "unsqueeze",
] + list(_creation_all)
