"""``Optimizer``: the base class of every optimizer. It holds ``param_groups`` (each a dict with
``params`` and that group's options), per-parameter ``state``, and moves between them and a
PyTorch-format ``state_dict`` (parameters numbered 0, 1, ... in group order).

A subclass lists its defaults, checks option values in ``_check_group`` and updates one group in
``_update_group``. Updates work on the raw arrays in place (``p._data``, state tensors' ``_data``)
with NumPy ``out=`` ufuncs, so a step allocates at most a temporary or two per parameter.
"""
from __future__ import annotations

import copy
import numbers
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..autograd.tensor import Tensor


class _RequiredParameter:
    """Marks a default that every parameter group must give (SGD's ``lr`` in old PyTorch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _describe(obj) -> str:
    return type(obj).__module__.split(".")[0] + "." + type(obj).__qualname__


class Optimizer:
    """Base class of optimizers, as ``torch.optim.Optimizer``.

    ``params`` is an iterable of tensors (``model.parameters()``), of ``(name, tensor)`` pairs
    (``model.named_parameters()``), or of dicts, each a parameter group with its own options:
    ``SGD([{'params': net.body.parameters()}, {'params': net.head.parameters(), 'lr': 1e-3}],
    lr=1e-2, momentum=0.9)``. Options a group leaves out come from ``defaults``.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self._check_group(defaults)
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got a single {_describe(params)}; wrap it in a list: [tensor]")
        if isinstance(params, dict):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or of parameter-group dicts, "
                f"but got a dict with keys {sorted(map(str, params))}; pass a list of groups "
                "[{'params': ...}] or model.parameters()")
        if callable(getattr(params, "parameters", None)):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors, but got the module "
                f"{type(params).__name__}; pass its .parameters(), e.g. "
                f"{name}(model.parameters(), ...)")
        try:
            param_groups = list(params)
        except TypeError:
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or dicts, "
                f"but got {_describe(params)}") from None
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        if len(param_groups) == 0:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def _check_group(self, group: dict) -> None:
        """Raise ValueError for an option value out of range (subclasses extend this)."""
        lr = group.get("lr", 0.0)
        if isinstance(lr, _RequiredParameter):
            return
        if not isinstance(lr, numbers.Real) or isinstance(lr, bool):
            raise TypeError(f"{type(self).__name__}: lr must be a number, got {lr!r}")
        if not 0.0 <= lr:
            raise ValueError(f"{type(self).__name__}: Invalid learning rate: {lr} (expected >= 0)")

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (e.g. a layer unfrozen mid-training)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, but got {_describe(param_group)}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry, got keys "
                             f"{sorted(map(str, param_group))}")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{name}: optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a list "
                "instead.")
        elif callable(getattr(params, "parameters", None)):
            raise TypeError(
                f"{name}: a group's 'params' should be Tensors, but got the module "
                f"{type(params).__name__}; use its .parameters()")
        else:
            params = list(params)
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        if names and len(names) != len(tensors):
            raise ValueError(f"{name}: all optimizer params should be with/without names. "
                             "Some param names are missing")
        for i, p in enumerate(tensors):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: optimizer can only optimize Tensors, but params[{i}] is "
                    f"{_describe(p)}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (params[{i}] has "
                                 f"grad_fn {type(p.grad_fn).__name__}); use .detach() to make a "
                                 "leaf")
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names
        for key, default in self.defaults.items():
            if isinstance(default, _RequiredParameter) and key not in param_group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required "
                                 f"optimization parameter {key}")
            param_group.setdefault(key, default)
        self._check_group(param_group)
        if len({id(p) for p in tensors}) != len(tensors):
            warnings.warn(f"{name}: optimizer contains a parameter group with duplicate "
                          "parameters; each is updated once per occurrence", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in group) != bool(names):
                raise ValueError(
                    f"{name}: all optimizer param groups should be with/without names. cannot add "
                    f"param group {'with' if names else 'without'} names to the optimizer")
        if any(id(p) in seen for p in tensors):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        self._init_group_state(param_group)

    def _init_group_state(self, group: dict) -> None:
        """Create state eagerly for a new group (Adagrad does; most optimizers create it lazily)."""

    # ---------------------------------------------------------------- stepping
    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` (optional) re-evaluates the
        model and returns the loss, which ``step`` returns."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _scratch(self, like: np.ndarray, n: int) -> list:
        """``n`` scratch arrays shaped like ``like``, carved from one buffer per dtype that is
        reused across parameters and steps (fresh large arrays cost page faults every step).
        Not part of ``state``; only valid until the next call."""
        workspace = self.__dict__.setdefault("_workspace", {})
        size = like.size
        buf = workspace.get(like.dtype)
        if buf is None or buf.size < n * size:
            buf = workspace[like.dtype] = np.empty(max(n * size, 0 if buf is None else buf.size),
                                                   like.dtype)
        return [buf[i * size:(i + 1) * size].reshape(like.shape) for i in range(n)]

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: drop them (``set_to_none=True``, the default) or fill them with
        zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._requires_grad = False
                    g._data.fill(0)
                    g._bump_version()

    # -------------------------------------------------------------- state dict
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, parameters
        numbered in group order, as PyTorch's. Tensors in it are the live state (not copies)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a ``state_dict()`` (this optimizer's, another run's, or PyTorch's converted to
        graphgrad tensors). Groups must have as many parameters as this optimizer's; state arrays
        are copied and cast to each parameter's dtype (``step`` stays float32)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups', got {_describe(state_dict)}")
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has a different number of "
                             f"parameter groups ({len(saved_groups)}) than the optimizer "
                             f"({len(groups)})")
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter group that "
                    f"doesn't match the size of optimizer's group: group {i} has "
                    f"{len(s['params'])} parameters saved but {len(g['params'])} in the optimizer")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            k = int(key) if isinstance(key, str) and key.lstrip("-").isdigit() else key
            if k in id_map:
                p = id_map[k]
                state[p] = {sk: _cast_state(p, sk, sv, k, name) for sk, sv in value.items()}
            else:
                state[k] = copy.deepcopy(value)
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            for k, default in self.defaults.items():  # groups saved by an older version
                s.setdefault(k, default)
            if "betas" in s and isinstance(s["betas"], list):
                s["betas"] = tuple(s["betas"])
        self.state = state
        self.param_groups = saved_groups

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast_state(param: Tensor, key, value, index, name):
    """Copy one loaded state entry into a fresh tensor of the parameter's dtype and shape."""
    if isinstance(value, (Tensor, np.ndarray)) or (key == "step"
                                                   and isinstance(value, numbers.Real)):
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        if key == "step" or array.ndim == 0 and param._data.ndim != 0:
            return Tensor._make(np.array(array, dtype=np.float32))
        if array.shape != param._data.shape:
            raise ValueError(
                f"{name}.load_state_dict: state '{key}' of parameter {index} has shape "
                f"{tuple(array.shape)} but the parameter has shape {tuple(param._data.shape)}")
        dtype = param._data.dtype if param._data.dtype.kind == "f" else array.dtype
        return Tensor._make(np.array(array, dtype=dtype, copy=True))
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v, index, name) for k, v in value.items()}
    return copy.deepcopy(value)


# ------------------------------------------------------------------ array helpers for subclasses
def scalar_state(value: float) -> Tensor:
    """A 0-d float32 tensor, as PyTorch keeps ``step`` and NAdam's ``mu_product``."""
    return Tensor._make(np.array(value, dtype=np.float32))


def zeros_state(p: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(p._data))


def grad_array(p: Tensor, name: str):
    """The gradient array of ``p`` to use in an update, or None to skip ``p`` (no gradient)."""
    g = p.grad
    if g is None:
        return None
    array = g._data
    if array.shape != p._data.shape:
        raise RuntimeError(f"{name}.step: gradient of shape {tuple(array.shape)} does not match "
                           f"its parameter of shape {tuple(p._data.shape)}")
    if array.dtype != p._data.dtype:
        array = array.astype(p._data.dtype)
    return array


def effective_grad(g: np.ndarray, p: np.ndarray, weight_decay: float, maximize: bool,
                   out: np.ndarray):
    """``(-g if maximize else g) + weight_decay * p`` as PyTorch forms it, written into ``out``
    when a new array is needed; returns ``(d, owned)`` where ``owned`` says ``d`` is ``out`` (the
    caller may overwrite it), else ``d`` is ``p.grad``'s array and must not be changed."""
    if weight_decay != 0:
        np.multiply(p, weight_decay, out=out)
        if maximize:
            np.subtract(out, g, out=out)
        else:
            out += g
        return out, True
    if maximize:
        return np.negative(g, out=out), True
    return g, False


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """``start += weight * (end - start)`` in place, with PyTorch's two-sided formula for
    ``lerp`` (so results round the same way); ``tmp`` is scratch space of the same shape."""
    np.subtract(end, start, out=tmp)
    if weight < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1.0 - weight
        np.subtract(end, tmp, out=start)


def bump(p: Tensor) -> None:
    """Record an in-place change of ``p`` (autograd's version counter)."""
    p._vc[0] += 1


_TORCH_FLAGS = ("foreach", "fused", "capturable", "differentiable")


def check_implementation_flags(name: str, flags: dict) -> None:
    """Accept PyTorch's implementation switches so that its code ports unchanged: ``foreach`` and
    ``fused`` are ignored (graphgrad has one in-place implementation); ``capturable`` and
    ``differentiable`` are not supported when true."""
    for key, value in flags.items():
        if key not in _TORCH_FLAGS:
            raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{key}'")
        if key in ("capturable", "differentiable") and value:
            raise ValueError(f"{name}: {key}=True is not supported by graphgrad (its optimizer "
                             "steps run in place under no_grad on the CPU)")


def check_betas(name: str, betas) -> None:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    for i, b in enumerate((b1, b2)):
        if not isinstance(b, numbers.Real) or not 0.0 <= b < 1.0:
            raise ValueError(f"{name}: Invalid beta parameter at index {i}: {b} "
                             "(expected 0 <= beta < 1)")


def check_nonneg(name: str, group: dict, *keys: str) -> None:
    for key in keys:
        v = group.get(key)
        if v is None:
            continue
        if not isinstance(v, numbers.Real) or not 0.0 <= v:
            raise ValueError(f"{name}: Invalid {key} value: {v} (expected >= 0)")
