"""Graph nodes: ``Function`` (PyTorch's custom-function API), ``ArrayFunction`` (graphgrad's own
primitives, whose forward runs on raw arrays) and ``AccumulateGrad`` (where a leaf's gradient lands).

Calling ``SomeFunction.apply(*args)`` runs the forward and, when any tensor argument requires grad
and recording is on, makes the new instance the ``grad_fn`` of the outputs. That instance is both the
``ctx`` that forward and backward see and the node the engine walks: ``_next`` holds, for every
positional argument, the edge ``(node, output_nr)`` its gradient flows to, or None.
"""
from __future__ import annotations

import numpy as np

from . import anomaly, grad_mode
from .tensor import RemovableHandle, Tensor

# While ``graphgrad.onnx.export`` traces a model, ``_tracer[0]`` is the callable that every
# ``apply`` hands its call to, so that the exporter sees each op with all its arguments and options
# (the autograd graph keeps neither integer inputs nor options). None otherwise: one list lookup
# per op, the cost of the anomaly-mode check below.
_tracer = [None]

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class _Saved:
    """One entry of ``save_for_backward``: an input tensor, an output slot, or a constant array."""

    __slots__ = ("kind", "value", "version", "vc")

    def __init__(self, kind, value, vc=None):
        self.kind = kind  # "input" (value: Tensor), "output" (value: (array, nr)), "const" (array)
        self.value = value
        self.vc = vc
        self.version = vc[0] if vc is not None else 0


class Function:
    """Base class of every graph node, and the API for custom differentiable functions.

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` and call
    ``MyFunction.apply(*args)``, exactly as with ``torch.autograd.Function``: ``forward`` receives
    tensors (with recording off) and returns tensors; ``backward`` receives one gradient per output
    and returns one per ``forward`` argument (None for non-tensors or where none is needed).
    """

    # Filled in by apply() for recorded calls.
    _next: tuple = ()
    _saved = None
    _freed = False
    _pre_hooks = None
    _retain_hooks = None
    _trace = None
    _in_meta: tuple = ()
    _out_meta: tuple = ()
    needs_input_grad: tuple = ()
    materialize_grads = True
    # Set on the instance by save_for_backward / mark_non_differentiable. Read as attributes, never
    # through ``ctx.__dict__``: that would make CPython build a dict for every node (its attributes
    # otherwise live inline), which costs an allocation and slows every later attribute access.
    _to_save = None
    _non_diff = frozenset()

    # ----------------------------------------------------------- the ctx API
    def save_for_backward(self, *items) -> None:
        """Keep tensors (or, in an ArrayFunction, arrays) for backward; checked for in-place edits."""
        self._to_save = items

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_diff = {id(o) for o in outputs}

    def mark_dirty(self, *tensors) -> None:
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as tensors, connected to the graph so that backward is differentiable."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        saved = self._saved
        if saved is None:
            return ()
        return tuple(self._unpack(s) for s in saved)

    @property
    def saved_arrays(self) -> tuple:
        """The saved values as raw arrays (for a first-order backward on arrays)."""
        saved = self._saved
        if saved is None:  # freed by backward, or nothing saved
            if self._freed:
                raise RuntimeError(_FREED_MESSAGE)
            return ()
        out = []
        for s in saved:  # runs in every op's backward: the version check is inlined
            if s is None:
                out.append(None)
                continue
            vc = s.vc
            if vc is not None and vc[0] != s.version:
                self._check_version(s)
            kind = s.kind
            if kind == "input":
                out.append(s.value._data)
            elif kind == "output":
                out.append(s.value[0])
            else:
                out.append(s.value)
        return tuple(out)

    def _unpack(self, s):
        if s is None:
            return None
        self._check_version(s)
        if s.kind == "input":
            return s.value
        if s.kind == "output":
            array, nr = s.value
            return Tensor._make(array, requires_grad=True, grad_fn=self, out_nr=nr)
        return Tensor._make(s.value)

    def _check_version(self, s) -> None:
        if s.vc is not None and s.vc[0] != s.version:
            array = s.value._data if s.kind == "input" else s.value[0]
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{array.dtype} tensor of shape {list(array.shape)}], which is "
                f"output {s.value._out_nr if s.kind == 'input' else s.value[1]} of "
                f"{self.name()}'s inputs/outputs, is at version {s.vc[0]}; expected version "
                f"{s.version} instead. Hint: replace the in-place operation by an out-of-place one.")

    # ---------------------------------------------------------- node identity
    @classmethod
    def name(cls) -> str:
        return cls.__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self._next)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def _add_pre_hook(self, out_nr: int, hook, is_retain: bool = False):
        """Hooks on output ``out_nr``'s gradient; retain_grad's runs after the user's, as in PyTorch."""
        if is_retain:
            if self._retain_hooks is None:
                self._retain_hooks = {}
            self._retain_hooks[out_nr] = hook
            return RemovableHandle(self._retain_hooks, out_nr)
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(out_nr, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def _release(self) -> None:
        """Free saved values once backward has used them (unless the graph is retained)."""
        if self._saved is not None:
            self._saved = None
            self._freed = True

    # --------------------------------------------------------------- forward
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must implement forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must implement backward(ctx, *grads)")

    backward_arrays = None  # optional fast first-order backward on arrays (ArrayFunction only)

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on tensors (recording off) and connect the outputs to a new node."""
        if _tracer[0] is not None:
            return _tracer[0](cls, args, kwargs)
        ctx = cls.__new__(cls)
        record = grad_mode._enabled[0] and any(
            isinstance(a, Tensor) and a._requires_grad for a in args)
        with grad_mode.no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not record:
            return outputs
        non_diff = ctx._non_diff
        dirty = getattr(ctx, "_dirty", ())
        result = []
        out_meta = []
        for nr, o in enumerate(outs):
            if not isinstance(o, Tensor):
                result.append(o)
                out_meta.append(None)
                continue
            if id(o) in dirty:  # modified in place: the input tensor itself becomes an output
                t = o
                t._bump_version()
            elif any(o is a for a in args):
                t = o.detach()  # an input returned unchanged is a new tensor sharing storage
            else:
                t = o
            diff = id(o) not in non_diff and t._data.dtype.kind == "f"
            if diff:
                t.grad_fn = ctx
                t._out_nr = nr
                t._requires_grad = True
            out_meta.append((t._data.shape, t._data.dtype))
            result.append(t)
        _finish_node(ctx, args, [r._data if isinstance(r, Tensor) else None for r in result],
                     [r._vc if isinstance(r, Tensor) else None for r in result], tuple(out_meta))
        return result[0] if single else tuple(result)


def _finish_node(ctx, args, out_arrays, out_vcs, out_meta, raw_outs=None) -> None:
    """Record edges, input metadata and the saved values on a node that has just run forward."""
    next_edges = []
    needs = []
    in_meta = []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            next_edges.append(a._edge())
            needs.append(True)
            in_meta.append((a._data.shape, a._data.dtype))
        else:
            next_edges.append(None)
            needs.append(False)
            in_meta.append(None)
    ctx._next = tuple(next_edges)
    ctx.needs_input_grad = tuple(needs)
    ctx._in_meta = tuple(in_meta)
    ctx._out_meta = out_meta
    to_save = ctx._to_save
    if to_save:
        ctx._to_save = None  # the saved values are kept (and checked) in ctx._saved alone
        ctx._saved = tuple(_classify(item, args, out_arrays, out_vcs, raw_outs or out_arrays)
                           for item in to_save)
    if anomaly._enabled[0]:
        anomaly.record_forward(ctx, out_arrays)


def _classify(item, args, out_arrays, out_vcs, raw_outs):
    """Decide whether a saved item is an input tensor, an output, or a constant."""
    if item is None:
        return None
    array = item._data if isinstance(item, Tensor) else item
    for a in args:
        if isinstance(a, Tensor) and (a is item or a._data is array):
            return _Saved("input", a, a._vc)
    for nr, (o, r) in enumerate(zip(out_arrays, raw_outs)):
        if o is array or r is array:
            return _Saved("output", (o, nr), out_vcs[nr])
    if isinstance(item, Tensor):
        return _Saved("const", array, item._vc)
    return _Saved("const", array)


class ArrayFunction(Function):
    """A graphgrad primitive: ``forward(ctx, *arrays, **options)`` works on raw arrays and returns an
    array (or a tuple); ``backward(ctx, *grads)`` is written with graphgrad ops on tensors so that it
    can itself be differentiated. A hot op may also define ``backward_arrays(ctx, *grad_arrays)``,
    used when no graph of the backward is requested.

    Positional arguments may be tensors or anything else (scalars, shapes); options are keywords.
    """

    @classmethod
    def apply(cls, *args, **kwargs):
        if _tracer[0] is not None:
            return _tracer[0](cls, args, kwargs)
        ctx = cls.__new__(cls)
        arrays = []
        needs = []
        any_grad = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a._requires_grad:
                    any_grad = True
                    needs.append(True)
                    continue
            else:
                arrays.append(a)
            needs.append(False)
        record = any_grad and grad_mode._enabled[0]
        # set before forward, so that forward can skip saving what backward will not need
        ctx.needs_input_grad = tuple(needs) if record else (False,) * len(needs)
        raw = cls.forward(ctx, *arrays, **kwargs)
        if type(raw) is np.ndarray:  # the common case: one array out
            if not record:
                if anomaly._enabled[0]:
                    anomaly.check_forward(cls, (raw,))
                return Tensor._make(raw)
            non_diff = ctx._non_diff
            if raw.dtype.kind == "f" and not (non_diff and id(raw) in non_diff):
                result = Tensor._make(raw, True, ctx, 0)
            else:
                result = Tensor._make(raw)
            outs = raw_outs = (raw,)
            out_vcs = (result._vc,)
            ctx._out_meta = ((raw.shape, raw.dtype),)
        else:
            # NumPy returns scalars, not 0-d arrays, from ufuncs on 0-d input: keep tensors on arrays
            if type(raw) is tuple:
                outs = tuple(o if type(o) is np.ndarray else np.asarray(o) for o in raw)
                raw_outs, single = raw, False
            else:
                raw_outs, single = (raw,), True
                outs = (np.asarray(raw),)
            if not record:
                if anomaly._enabled[0]:
                    anomaly.check_forward(cls, outs)
                results = tuple(Tensor._make(o) for o in outs)
                return results[0] if single else results
            non_diff = ctx._non_diff
            results = []
            for nr, o in enumerate(outs):
                if o.dtype.kind == "f" and id(o) not in non_diff:
                    results.append(Tensor._make(o, True, ctx, nr))
                else:
                    results.append(Tensor._make(o))
            out_vcs = tuple(r._vc for r in results)
            ctx._out_meta = tuple([(o.shape, o.dtype) for o in outs])
            result = results[0] if single else tuple(results)
        # the node's edges: written here, not in a helper, as this runs once for every recorded op
        edges = []
        in_meta = []
        for a, need in zip(args, needs):
            if need:
                node = a.grad_fn  # a._edge(), inlined
                edges.append((node, a._out_nr) if node is not None else (a._accumulator(), 0))
                data = a._data
                in_meta.append((data.shape, data.dtype))
            else:
                edges.append(None)
                in_meta.append(None)
        ctx._next = tuple(edges)
        ctx._in_meta = tuple(in_meta)
        to_save = ctx._to_save
        if to_save:
            ctx._to_save = None
            ctx._saved = _save_arrays(to_save, args, arrays, outs, out_vcs, raw_outs)
        if anomaly._enabled[0]:
            anomaly.record_forward(ctx, outs)
        return result


def _save_arrays(to_save, args, arrays, outs, out_vcs, raw_outs) -> tuple:
    """``_classify`` for an ArrayFunction's saved arrays: ``arrays`` holds each argument's array
    (a tensor's data, or the argument itself), so an input is found by identity alone."""
    saved = []
    for item in to_save:
        if item is None:
            saved.append(None)
            continue
        for a, array in zip(args, arrays):
            if array is item and a is not array:  # a tensor argument's own array
                saved.append(_Saved("input", a, a._vc))
                break
        else:
            if type(item) is not np.ndarray:  # a tensor made inside forward, or a scalar
                saved.append(_classify(item, args, outs, out_vcs, raw_outs))
                continue
            for nr, o in enumerate(outs):
                if o is item or raw_outs[nr] is item:
                    saved.append(_Saved("output", (o, nr), out_vcs[nr]))
                    break
            else:
                saved.append(_Saved("const", item))
    return tuple(saved)


class AccumulateGrad(Function):
    """The node at a leaf: adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable: Tensor):
        self.variable = variable
        self._next = ()
        self._out_meta = ((variable._data.shape, variable._data.dtype),)

    @classmethod
    def name(cls) -> str:
        return "AccumulateGrad"
