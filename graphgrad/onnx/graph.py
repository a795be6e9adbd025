"""Building the ONNX graph: nodes, initialisers, and what converters need to know about shapes.

``GraphBuilder`` collects ``NodeProto``s and initialisers; ``Site`` is what a converter gets for
one traced op: the call from the main trace, the same call from the second trace (on the inputs'
values shuffled and the dynamic axes one larger: what differs follows the input), and helpers to
name its inputs in the graph. Converters register themselves with ``@converts(OpClass, ...)``.
"""
from __future__ import annotations

import numpy as np

from .trace import ExportError, OpCall, Value

CONVERTERS: dict = {}


def converts(*ops, varying=()):
    """Register ``fn(site)`` as the converter of the graphgrad op classes ``ops``.

    ``varying``: the positions (or keyword names) of options that may differ between the two
    traces because they follow the input's sizes (an output shape the ONNX op computes itself);
    any other option that differs was computed from the input outside graphgrad's ops, and the
    exporter refuses it."""
    def register(fn):
        for op in ops:
            CONVERTERS[op] = (fn, frozenset(varying))
        return fn
    return register


class GraphBuilder:
    """The nodes and initialisers of the ONNX graph being written."""

    def __init__(self, onnx, opset: int, values2: dict, model):
        self.onnx = onnx
        self.modules = dict(model.named_modules())
        self.opset = opset
        self.nodes = []
        self.initializers = {}  # name -> array, in first-use order
        self.values2 = values2  # value name -> the same Value in the second trace
        self.scope = ""  # the module path of the op being converted, in node names
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
                                          name=name or self.fresh(f"{self.scope}/{op_type}"),
                                          **attrs)
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
        return self.values2[v.name].shape

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
        self._first_node = len(g.nodes)

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
        if v.kind == "const":
            other = self.g.values2[v.name]
            if any(self.g.dynamic(v)):
                raise self.error(f"a tensor made inside forward (shape {v.shape}) has a size that "
                                 "follows the input's dynamic axes; export without dynamic_axes, "
                                 "or compute it from the input with graphgrad ops")
            if not np.array_equal(v.array, other.array, equal_nan=v.array.dtype.kind == "f"):
                raise self.error(f"a tensor of shape {v.shape} changes with the input's values: "
                                 + _CONSTANT_HINT)
        return self.g.value(v)

    def operand(self, i: int, dtype) -> str:
        """Argument ``i`` (a tensor or a number) as a graph value of ``dtype``."""
        if self.has(i):
            name = self.input(i)
            if self.inputs[i].dtype != dtype:
                name = self.cast(name, dtype)
            return name
        return self.g.const(np.asarray(self.args[i], dtype=dtype), "scalar")

    def check_options(self, varying) -> None:
        """Options must be the same in both traces, but for those in ``varying``."""
        call = self.call
        for i in range(len(call.args)):
            if call.inputs[i] is None and i not in varying:
                self.check_arg(i)
        for key, a in call.kwargs.items():
            if key not in varying and _differs(a, self.call2.kwargs.get(key)):
                raise self.error(f"its option {key}={_short(a)} changes with the input's values "
                                 f"or sizes: {_CONSTANT_HINT}")

    def check_arg(self, i: int) -> None:
        """Non-tensor argument ``i`` must be the same in both traces."""
        a, b = self.call.args[i], self.call2.args[i]
        if _differs(a, b):
            raise self.error(f"its argument {i} ({_short(a)}) changes with the input's values or "
                             f"sizes ({_short(b)} in a second run): {_CONSTANT_HINT}")

    def cast(self, name: str, dtype) -> str:
        to = self.g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return self.g.emit("Cast", [name], to=to)[0]

    def shape(self, i: int) -> tuple:
        return self.inputs[i].shape

    def dtype(self, i: int = None):
        """The dtype of tensor argument ``i``, or of the first output."""
        return self.inputs[i].dtype if i is not None else self.call.outputs[0].dtype

    def static(self, what: str, a, b):
        """A size that must not follow the input's dynamic axes (``b``: in the second trace)."""
        if _differs(a, b):
            raise self.error(f"its {what} ({a} here, {b} for a larger input) follows the input's "
                             "dynamic axes, which ONNX cannot express for this op")
        return a

    def out(self, op_type: str, inputs, **attrs) -> list:
        """A node writing this op's outputs."""
        return self.g.emit(op_type, inputs, self.outputs, **attrs)

    def out_as(self, names: list) -> None:
        """Make ``names`` this op's outputs: the last node, if it wrote them, writes the outputs
        instead; otherwise (the op changed nothing) an Identity copies them."""
        nodes = self.g.nodes
        if len(nodes) > self._first_node and list(nodes[-1].output) == list(names):
            del nodes[-1].output[:]
            nodes[-1].output.extend(self.outputs)
        else:
            self.out("Identity", names)


_CONSTANT_HINT = ("it was computed outside graphgrad's ops (by a comparison, .item() or NumPy, say), "
                  "so a traced graph would freeze one run's value; compute it with graphgrad ops")


def _differs(a, b) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) != np.shape(b) or not np.array_equal(a, b)
    return bool(a != b)


def _short(a) -> str:
    """A one-line description of an option for an error message."""
    if isinstance(a, tuple) and any(isinstance(x, np.ndarray) for x in a):
        return "(" + ", ".join(_short(x) for x in a) + ")"
    if isinstance(a, np.ndarray):
        return f"an array of shape {a.shape}" if a.ndim else repr(a.item())
    text = repr(a)
    return text if len(text) < 60 else text[:57] + "..."


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
