"""``graphgrad.nn.functional``: the public functional API (activations, losses, convolution, ...),
with PyTorch's signatures. The differentiable primitives behind it live in ``graphgrad.ops``."""
# Each ops module adds its public functions here with one import line.
from ..ops.arithmetic import *  # noqa: F401,F403
