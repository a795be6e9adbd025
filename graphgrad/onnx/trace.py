"""Tracing a model for export: run it once and record every op it applies, in order.

While a ``Tracer`` is installed (``autograd.function._tracer``), every ``Function.apply`` hands its
call to the tracer, which runs the op and records an ``OpCall``: the op's class, its positional
arguments with each tensor replaced by the ``Value`` it holds, its keyword options, its output
``Value``s and the module that was running. A tape of calls, rather than the autograd graph, because
the autograd graph records neither the options of an op (a convolution's stride) nor anything that
does not need a gradient (the integer token ids an ``Embedding`` reads).

A tensor the tape did not make is a graph input, a parameter or buffer of the model (named by its
``state_dict`` key), or a constant created inside ``forward``. An op whose tensor inputs are all
constants is folded: its output is a constant too, as in ``torch.jit.trace``.
"""
from __future__ import annotations

import numpy as np

from ..autograd import enable_grad
from ..autograd import function as _function
from ..autograd.tensor import Tensor


class ExportError(RuntimeError):
    """A model (or one op of it) that ``graphgrad.onnx.export`` cannot write as ONNX."""


class Value:
    """One tensor of the traced graph. ``kind``: 'input', 'param', 'const' or 'op' (an output of a
    recorded call). ``array`` holds the data of parameters and constants."""

    __slots__ = ("name", "shape", "dtype", "kind", "array")

    def __init__(self, name: str, array: np.ndarray, kind: str, keep: bool):
        self.name = name
        self.shape = tuple(array.shape)
        self.dtype = array.dtype
        self.kind = kind
        self.array = array if keep else None

    def __repr__(self) -> str:
        return f"Value({self.name!r}, {self.kind}, shape={self.shape}, {self.dtype})"


class OpCall:
    """One op applied during the trace. ``inputs[i]`` is the ``Value`` of ``args[i]`` when that
    argument is a tensor, else None; ``module`` names the module whose ``forward`` applied it."""

    __slots__ = ("op", "args", "inputs", "kwargs", "outputs", "module")

    def __init__(self, op, args, inputs, kwargs, outputs, module):
        self.op, self.args, self.inputs, self.kwargs = op, args, inputs, kwargs
        self.outputs, self.module = outputs, module

    @property
    def name(self) -> str:
        return self.op.__name__

    def where(self) -> str:
        """``op Conv (module 'features.0', a Conv2d)``: for error messages."""
        path, kind = self.module
        return f"op {self.name} (module {path!r}, a {kind})" if path else \
            f"op {self.name} (in the forward of the model, a {kind})"


class Tracer:
    """Records the ops of one forward pass of ``model`` (see the module docstring)."""

    def __init__(self, model):
        self.model = model
        self.calls: list[OpCall] = []
        self._named = {}  # id(tensor) and id(array) of parameters and buffers -> state_dict key
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            self._named.setdefault(id(t), (name, t))
            self._named.setdefault(id(t._data), (name, t))
        self._by_array = {}  # id(array) -> (Value, version counter, version when recorded)
        self._by_node = {}  # id(autograd node) -> (output Values, output arrays)
        self._keep = []  # every array and node seen stays alive, so that no id() is reused
        self.values = {}  # name -> Value, every value of the trace
        self._stack = [("", type(model).__name__)]

    # ------------------------------------------------------------------ values
    def _new_value(self, name: str, array: np.ndarray, kind: str) -> Value:
        if name in self.values:
            name = f"{name}_{len(self.values)}"
        value = Value(name, array, kind, keep=kind in ("param", "const"))
        self.values[name] = value
        return value

    def _remember(self, t: Tensor, value: Value) -> None:
        self._by_array[id(t._data)] = (value, t._vc, t._vc[0])
        self._keep.append(t._data)

    def add_input(self, name: str, t: Tensor) -> Value:
        value = self._new_value(name, t._data, "input")
        self._remember(t, value)
        return value

    def resolve(self, t: Tensor) -> Value:
        """The ``Value`` a tensor argument holds now."""
        node = t.grad_fn
        if node is not None and id(node) in self._by_node:
            values, arrays = self._by_node[id(node)]
            if arrays[t._out_nr] is not t._data:  # an in-place op re-pointed it at its result
                return values[t._out_nr]
        entry = self._by_array.get(id(t._data))
        if entry is not None:
            value, vc, version = entry
            if vc[0] == version:
                return value
            raise ExportError(
                f"graphgrad.onnx.export: a tensor of shape {tuple(t.shape)} was modified in place by "
                f"an operation the exporter cannot follow (in {self._where()}); use an out-of-place "
                "operation there")
        named = self._named.get(id(t)) or self._named.get(id(t._data))
        if named is not None:
            value = self._new_value(named[0], named[1]._data, "param")
        else:  # made inside forward from no input: a constant of the graph
            value = self._new_value(f"{self._stack[-1][0] or 'model'}.constant",
                                    np.array(t._data, copy=True), "const")
        self._remember(t, value)
        return value

    def _input(self, a):
        """The Value of one argument of an op: a tensor, or an array the trace already holds (some
        ops take index arrays, e.g. an Embedding's token ids); None for options and constants."""
        if isinstance(a, Tensor):
            return self.resolve(a)
        if isinstance(a, np.ndarray):
            entry = self._by_array.get(id(a))
            if entry is not None and entry[1][0] == entry[2]:
                return entry[0]
        return None

    def _where(self) -> str:
        path, kind = self._stack[-1]
        return f"module {path!r}, a {kind}" if path else f"the forward of the model, a {kind}"

    # ------------------------------------------------------------------ the hook
    def __call__(self, op, args, kwargs):
        inputs = [self._input(a) for a in args]
        _function._tracer[0] = None  # the op itself (and a custom Function's inner ops) run plainly
        try:
            result = op.apply(*args, **kwargs)
        finally:
            _function._tracer[0] = self
        outs = result if isinstance(result, tuple) else (result,)
        tensors = [o for o in outs if isinstance(o, Tensor)]
        constant = all(v is None or v.kind == "const" for v in inputs) and len(tensors) == len(outs)
        prefix = f"{self._stack[-1][0] or 'model'}.{op.__name__}"
        values = []
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor):
                values.append(None)
                continue
            if constant:
                value = self._new_value(f"{prefix}.constant", np.array(o._data, copy=True), "const")
            else:
                value = self._new_value(f"{prefix}_{len(self.calls)}" + (f".{k}" if k else ""),
                                        o._data, "op")
            self._remember(o, value)
            values.append(value)
        node = next((o.grad_fn for o in tensors if o.grad_fn is not None), None)
        if node is not None:
            self._by_node[id(node)] = (values, [o._data if isinstance(o, Tensor) else None
                                                for o in outs])
            self._keep.append(node)
        if not constant:
            self.calls.append(OpCall(op, args, inputs, dict(kwargs), values, self._stack[-1]))
        return result

    # ------------------------------------------------------------------ running
    def run(self, call):
        """Run ``call()`` (the model on its inputs) with this tracer installed and the module stack
        followed by forward hooks; returns what it returns."""
        if _function._tracer[0] is not None:
            raise RuntimeError("graphgrad.onnx.export: an export is already running")
        handles = []
        for path, module in self.model.named_modules():
            if not path:
                continue
            kind = type(module).__name__

            def enter(_m, _args, path=path, kind=kind):
                self._stack.append((path, kind))

            def leave(_m, _args, _out):
                self._stack.pop()

            handles.append(module.register_forward_pre_hook(enter))
            handles.append(module.register_forward_hook(leave, always_call=True))
        _function._tracer[0] = self
        try:
            with enable_grad():
                return call()
        finally:
            _function._tracer[0] = None
            for h in handles:
                h.remove()
