"""Building the ONNX graph: nodes, initialisers, and what converters need to know about shapes.

``GraphBuilder`` collects ``NodeProto``s and initialisers; ``Site`` is what a converter gets for
one traced op: the call from the main trace, the same call from the second trace (run with every
dynamic axis one larger, to learn which sizes follow the input's), and helpers to name its inputs
in the graph. Converters register themselves with ``@converts(OpClass, ...)``.
"""
from __future__ import annotations

import numpy as np

from .trace import ExportError, OpCall, Value

CONVERTERS: dict = {}


def converts(*ops):
    """Register ``fn(site)`` as the converter of the graphgrad op classes ``ops``."""
    def register(fn):
        for op in ops:
            CONVERTERS[op] = fn
        return fn
    return register


class GraphBuilder:
    """The nodes and initialisers of the ONNX graph being written."""

    def __init__(self, onnx, opset: int, shapes2: dict, model):
        self.onnx = onnx
        self.modules = dict(model.named_modules())
        self.opset = opset
        self.nodes = []
        self.initializers = {}  # name -> array, in first-use order
        self._shapes2 = shapes2  # value name -> its shape in the second trace
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def emit(self, op_type: str, inputs, outputs=1, name=None, **attrs) -> list:
        """Add a node; ``outputs`` is a list of names or how many fresh ones to make. Returns the
        output names. An input of '' is an omitted optional input."""
        if isinstance(outputs, int):
            outputs = [self.fresh(f"{op_type}_out") for _ in range(outputs)]
        node = self.onnx.helper.make_node(op_type, list(inputs), list(outputs),
                                          name=name or self.fresh(op_type), **attrs)
        self.nodes.append(node)
        return list(outputs)

    def const(self, array, hint: str = "const") -> str:
        """An anonymous initialiser holding ``array``."""
        name = self.fresh(hint)
        self.initializers[name] = np.asarray(array)
        return name

    def ints(self, values) -> str:
        """A 1-D int64 initialiser (shapes, axes, pads)."""
        return self.const(np.asarray(list(values), dtype=np.int64), "ints")

    def value(self, v: Value) -> str:
        """The graph name of a traced value; parameters and constants become initialisers."""
        if v.kind in ("param", "const") and v.name not in self.initializers:
            self.initializers[v.name] = v.array
        return v.name

    def shape2(self, v: Value) -> tuple:
        return tuple(self._shapes2.get(v.name, v.shape))

    def dynamic(self, v: Value) -> tuple:
        """For each axis of ``v``: does its size follow a dynamic axis of the inputs?"""
        return tuple(a != b for a, b in zip(v.shape, self.shape2(v)))


class Site:
    """One traced op as a converter sees it."""

    def __init__(self, g: GraphBuilder, call: OpCall, call2: OpCall):
        self.g = g
        self.call = call
        self.call2 = call2
        self.args = call.args
        self.kwargs = call.kwargs
        self.inputs = call.inputs
        self.outputs = [v.name if v is not None else "" for v in call.outputs]

    def error(self, why: str) -> ExportError:
        return ExportError(f"graphgrad.onnx.export: cannot export {self.call.where()}: {why}")

    def module(self):
        """The module whose forward applied this op."""
        return self.g.modules[self.call.module[0]]

    def has(self, i: int) -> bool:
        return i < len(self.inputs) and self.inputs[i] is not None

    def input(self, i: int) -> str:
        """The graph name of tensor argument ``i``."""
        v = self.inputs[i]
        if v.kind == "const" and any(self.g.dynamic(v)):
            raise self.error(f"a tensor created inside forward (shape {v.shape}) has a size that "
                             "follows the input's dynamic axes; export without dynamic_axes, or make "
                             "it from the input")
        return self.g.value(v)

    def operand(self, i: int, dtype) -> str:
        """Argument ``i`` (a tensor or a number) as a graph value of ``dtype``."""
        if self.has(i):
            name = self.input(i)
            if self.inputs[i].dtype != dtype:
                name = self.cast(name, dtype)
            return name
        return self.g.const(np.asarray(self.args[i], dtype=dtype), "scalar")

    def cast(self, name: str, dtype) -> str:
        to = self.g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return self.g.emit("Cast", [name], to=to)[0]

    def shape(self, i: int) -> tuple:
        return self.inputs[i].shape

    def dtype(self, i: int = None):
        """The dtype of tensor argument ``i``, or of the first output."""
        return self.inputs[i].dtype if i is not None else self.call.outputs[0].dtype

    def static(self, what: str, a, b=None):
        """An option of the op that must not change with the input's dynamic axes."""
        if b is not None and _differs(a, b):
            raise self.error(f"its {what} ({a} here, {b} for a larger input) follows the input's "
                             "dynamic axes, which ONNX cannot express for this op")
        return a

    def out(self, op_type: str, inputs, **attrs) -> list:
        """A node writing this op's outputs."""
        return self.g.emit(op_type, inputs, self.outputs, **attrs)


def _differs(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) != np.shape(b) or not np.array_equal(a, b)
    return a != b


def shape_target(site: Site, in_v: Value, out1, out2) -> list:
    """The ``shape`` input of an ONNX Reshape of ``in_v`` to ``out1`` (``out2`` in the second trace):
    sizes that follow a dynamic axis become 0 (copied from the same input axis) or -1 (inferred; at
    most one)."""
    in1, in2 = in_v.shape, site.g.shape2(in_v)
    out1, out2 = tuple(out1), tuple(out2)
    if len(out2) != len(out1):
        raise site.error(f"its target shape {out1} changes rank ({out2}) for a larger input")
    target = []
    for i, (a, b) in enumerate(zip(out1, out2)):
        if a == b:
            target.append(int(a))
        elif i < len(in1) and in1[i] == a and in2[i] == b:
            target.append(0)
        else:
            target.append(-1)
    if target.count(-1) > 1:
        raise site.error(f"a reshape from {in1} to {out1} merges or splits more than one "
                         "dynamic axis")
    if 0 in out1:
        raise site.error(f"a reshape to the empty shape {out1}")
    return target


def reshape_target(site: Site, in_v: Value, out_v: Value) -> list:
    """``shape_target`` for a reshape whose result is the traced value ``out_v``."""
    return shape_target(site, in_v, out_v.shape, site.g.shape2(out_v))
