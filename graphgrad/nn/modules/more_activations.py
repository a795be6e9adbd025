"""The rest of PyTorch's activation modules: CELU, GLU, Hardshrink, Hardsigmoid, Hardswish,
LogSigmoid, Mish, PReLU (learnt slopes), RReLU (random slopes), Softmax2d, Softmin, Softshrink,
Softsign, Tanhshrink and Threshold. Each holds its options and calls ``nn.functional``."""
from __future__ import annotations

from ...autograd.tensor import Tensor
from ...backend import check_device, get_default_dtype
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .activation import _inplace_only, _inplace_suffix
from .module import Module


class _Elementwise(Module):
    """A parameterless activation ``F.<name>(input)``; with ``inplace`` where PyTorch has it."""

    _function = ""
    _has_inplace = False

    def __init__(self, inplace: bool = False):
        super().__init__()
        if self._has_inplace:
            self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        fn = getattr(F, self._function)
        return fn(input, inplace=self.inplace) if self._has_inplace else fn(input)


class Hardsigmoid(_Elementwise):
    """``relu6(x + 3) / 6``."""
    _function, _has_inplace = "hardsigmoid", True


class Hardswish(_Elementwise):
    """``x * relu6(x + 3) / 6`` (MobileNetV3)."""
    _function, _has_inplace = "hardswish", True


class Mish(_Elementwise):
    """``x * tanh(softplus(x))``."""
    _function, _has_inplace = "mish", True

    def extra_repr(self) -> str:
        return _inplace_only(self.inplace)


class LogSigmoid(_Elementwise):
    """``log(sigmoid(x))``, computed stably."""
    _function = "logsigmoid"


class Softsign(_Elementwise):
    """``x / (1 + |x|)``."""
    _function = "softsign"


class Tanhshrink(_Elementwise):
    """``x - tanh(x)``."""
    _function = "tanhshrink"


class CELU(Module):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_suffix(self.inplace)}"


class GLU(Module):
    """Gated linear unit: halves ``a, b`` of ``input`` along ``dim``, ``a * sigmoid(b)``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Hardshrink(Module):
    """``x`` where ``|x| > lambd``, else 0."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_suffix(self.inplace)}"


class PReLU(Module):
    """``x`` where ``x > 0``, else ``weight * x``, with ``num_parameters`` learnt slopes (1, or
    one per channel of dim 1) starting at ``init``. Note: weight decay should not be used on them
    (He et al. 2015)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        check_device(device, type(self).__name__)
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, dtype=dtype or get_default_dtype()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomised leaky ReLU: slopes drawn from U(lower, upper) in training, their mean in
    evaluation (``F.rrelu``)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace_suffix(self.inplace)}"


class Softmin(Module):
    """``softmax(-x)`` along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every position: ``(N, C, H, W)`` or ``(C, H, W)``."""

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D "
                             "instead")
        return F.softmax(input, -3)
