"""Lazy layers: the input size is read from the first input. ``LazyLinear``, ``LazyConv1d/2d/3d``,
``LazyConvTranspose1d/2d/3d``, ``LazyBatchNorm1d/2d/3d`` and ``LazyInstanceNorm1d/2d/3d`` hold
``UninitializedParameter``/``UninitializedBuffer`` placeholders until their first call (or until a
``state_dict`` is loaded into them); then the placeholders get their shapes, the layer initialises
them as the eager layer does, and the module becomes that layer (``LazyLinear`` -> ``Linear``),
as in PyTorch. The placeholders are the same objects afterwards, so an optimizer built before the
first call holds the real parameters."""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from ...backend import check_device, get_default_dtype, to_np_dtype
from ...ops.creation import tensor
from ..parameter import Parameter
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d

_UNINITIALIZED = ("Can't access the shape of an uninitialized parameter or buffer. This error "
                  "usually happens in `load_state_dict` when trying to load an uninitialized "
                  "parameter into an initialized one. Call `forward` to initialize the parameters "
                  "before accessing their attributes.")


class UninitializedTensorMixin:
    """A tensor without a shape yet: ``materialize(shape)`` gives it one (uninitialised values)
    and turns it into ``cls_to_become``. Its shape cannot be read before."""

    __slots__ = ()  # a buffer must keep Tensor's memory layout to become a Tensor
    cls_to_become = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        check_device(device, "UninitializedTensorMixin.materialize")
        dtype = self._data.dtype if dtype is None else to_np_dtype(dtype)
        self._data = np.empty(tuple(shape), dtype=dtype)
        self._bump_version()
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_UNINITIALIZED)

    def size(self, dim=None):
        raise RuntimeError(_UNINITIALIZED)

    def numel(self):
        raise RuntimeError(_UNINITIALIZED)

    def dim(self):
        raise RuntimeError(_UNINITIALIZED)

    @property
    def ndim(self):
        raise RuntimeError(_UNINITIALIZED)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: shape not known until the first forward call>"


def _placeholder(dtype) -> Tensor:
    return Tensor._make(np.empty((0,), dtype=to_np_dtype(dtype or get_default_dtype())))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A ``Parameter`` whose shape is set by ``materialize`` (lazy layers)."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        check_device(device, "UninitializedParameter")
        super().__init__(_placeholder(dtype), requires_grad)

    def __deepcopy__(self, memo):
        copied = type(self)(self.requires_grad, dtype=self._data.dtype)
        memo[id(self)] = copied
        return copied


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is set by ``materialize`` (lazy normalisation layers). It is always
    persistent; register it with ``register_buffer(name, buffer, persistent=False)`` otherwise."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None,
                 persistent: bool = True):
        check_device(device, "UninitializedBuffer")
        if not persistent:
            raise ValueError("UninitializedBuffer: persistent=False is not supported here; pass "
                             "persistent=False to Module.register_buffer instead")
        super().__init__(None, requires_grad=requires_grad)
        self._data = _placeholder(dtype)._data

    def __deepcopy__(self, memo):
        copied = type(self)(dtype=self._data.dtype)
        memo[id(self)] = copied
        return copied


def _is_uninitialized(t) -> bool:
    return isinstance(t, UninitializedTensorMixin)


class LazyModuleMixin:
    """Put before an eager layer class: a forward pre-hook calls ``initialize_parameters`` with the
    first input, then the module becomes ``cls_to_become``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters,
                                                               with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        return any(_is_uninitialized(t) for t in list(self._parameters.values())
                   + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def _load_from_state_dict(self, state_dict, prefix, strict, missing_keys, unexpected_keys,
                              error_msgs, assign=False):
        # a checkpoint of the initialised layer gives the placeholders their shapes
        for registry in (self._parameters, self._buffers):
            for name, value in registry.items():
                key = prefix + name
                if _is_uninitialized(value) and key in state_dict:
                    loaded = state_dict[key]
                    if not _is_uninitialized(loaded):
                        value.materialize(np.shape(loaded._data if isinstance(loaded, Tensor)
                                                   else loaded))
        super()._load_from_state_dict(state_dict, prefix, strict, missing_keys, unexpected_keys,
                                      error_msgs, assign)

    def _lazy_reset(self, size_attr: str) -> bool:
        """Whether the eager ``reset_parameters`` may run (shapes known, size not 0)."""
        return not self.has_uninitialized_params() and getattr(self, size_attr) != 0


def _infer_parameters(module, args, kwargs):
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


# ------------------------------------------------------------------------------------- Linear
class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dimension of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False, device=device)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if self._lazy_reset("in_features"):
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        self.in_features = self.weight.shape[1]  # also after a state_dict gave the shapes


# ---------------------------------------------------------------------------------- convolutions
class _LazyConvMixin(LazyModuleMixin):
    def _lazy_init(self, out_channels: int, bias: bool, dtype) -> None:
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if self._lazy_reset("in_channels"):
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():  # a state_dict gave the shapes
            w = self.weight.shape
            self.in_channels = w[0] if self.transposed else w[1] * self.groups
            return
        unbatched = self._nd + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise ValueError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) "
                             f"input to {type(self).__name__}, but got input of size: "
                             f"{list(input.shape)}")
        self.in_channels = input.shape[0 if input.dim() == unbatched else 1]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight.materialize(shape)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


def _lazy_conv(eager, transposed: bool):
    """The lazy class of one convolution layer, taking the eager one's arguments minus
    ``in_channels``."""
    if transposed:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                     groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                     dtype=None):
            LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, output_padding,
                                     groups, False, dilation, padding_mode, device=device)
            self._lazy_init(out_channels, bias, dtype)
    else:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                     bias=True, padding_mode="zeros", device=None, dtype=None):
            LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups,
                                     False, padding_mode, device=device)
            self._lazy_init(out_channels, bias, dtype)
    name = "Lazy" + eager.__name__
    doc = (f"``{eager.__name__}`` whose ``in_channels`` is read from the first input "
           f"(dim 1, or 0 when unbatched).")
    return type(name, (_LazyConvMixin, eager), {"__init__": __init__, "cls_to_become": eager,
                                                "__doc__": doc, "__module__": __name__})


LazyConv1d = _lazy_conv(Conv1d, False)
LazyConv2d = _lazy_conv(Conv2d, False)
LazyConv3d = _lazy_conv(Conv3d, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, True)


# ------------------------------------------------------------------------------- normalisation
class _LazyNormMixin(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, bias=True):
        super().__init__(0, eps, momentum, False, False, device=device)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = tensor(0)

    def reset_parameters(self) -> None:
        if self._lazy_reset("num_features"):
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if not self.has_uninitialized_params():  # a state_dict gave the shapes
            known = self.weight if self.weight is not None else self.running_mean
            if known is not None:
                self.num_features = known.shape[0]
            return
        unbatched = getattr(self, "_spatial", None)
        channel_dim = 0 if unbatched is not None and input.dim() == unbatched + 1 else 1
        self.num_features = input.shape[channel_dim]
        for t in (self.weight, self.bias, self.running_mean, self.running_var):
            if t is not None:
                t.materialize((self.num_features,))
        self.reset_parameters()


def _lazy_norm(eager):
    # PyTorch's lazy instance norms default to affine=True, track_running_stats=True too
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        _LazyNormMixin.__init__(self, eps, momentum, affine, track_running_stats, device, dtype,
                                bias)

    name = "Lazy" + eager.__name__
    doc = f"``{eager.__name__}`` whose ``num_features`` is read from the first input."
    return type(name, (_LazyNormMixin, eager), {"__init__": __init__, "cls_to_become": eager,
                                                "__doc__": doc, "__module__": __name__})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
