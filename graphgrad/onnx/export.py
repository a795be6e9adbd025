"""``export``: a graphgrad model as an ONNX file, with PyTorch's ``torch.onnx.export`` signature."""
from __future__ import annotations

import os

import numpy as np

from ..autograd.tensor import Tensor
from . import convert_elementwise, convert_layers, convert_rnn, convert_shapes  # noqa: F401
from .graph import CONVERTERS, GraphBuilder, Site
from .trace import ExportError, Tracer

DEFAULT_OPSET = 18
MIN_OPSET = 18  # Reduce*, Split and Pad take their axes and sizes as inputs from opset 18 on


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None,
           output_names=None, opset_version=None, dynamic_axes=None,
           keep_initializers_as_inputs=False, dynamo=None):
    """Export ``model`` (an ``nn.Module``) to ONNX, as ``torch.onnx.export`` does.

    The model runs on ``args`` (a tensor or a tuple of them, nested tuples allowed; ``kwargs`` are
    passed by keyword), in eval mode, and every op it applies is written as one or a few ONNX
    nodes; parameters and buffers become initialisers named by their ``state_dict`` keys. It runs
    a second time on the inputs' values shuffled (and grown along the dynamic axes): what differs
    shows which sizes are dynamic, and a value computed outside graphgrad's ops from the input (a
    comparison, ``.item()``, NumPy), which a traced graph would freeze, is refused.
    Tensor arguments become the graph's inputs, in order, named by ``input_names`` (default
    ``input``, or ``input_0``, ``input_1``, ...); the tensors it returns (flattened) its outputs,
    named by ``output_names`` (default ``output``/``output_0``, ...). Other arguments (numbers,
    flags) are fixed into the graph, as with tracing in PyTorch.

    ``dynamic_axes``: ``{name: {axis: 'dim_name'}}`` or ``{name: [axis, ...]}`` for inputs and
    outputs whose size may change, typically the batch axis (``{'input': {0: 'batch'}}``); every
    size that follows them is written as a dynamic size. ``opset_version``: 18 (the default) or
    later.
    ``keep_initializers_as_inputs``: also list the initialisers as graph inputs. ``verbose``:
    print the graph. ``dynamo`` is accepted for PyTorch code and ignored: graphgrad has one exporter.

    ``f`` is a path or a binary file object (written atomically for a path), or None. Returns the
    ``onnx.ModelProto`` (PyTorch returns an ``ONNXProgram``). Raises ``ExportError`` naming the op
    and the module that applied it when an op has no ONNX equivalent. Needs the ``onnx`` package
    (``pip install graphgrad[onnx]``).
    """
    onnx = _import_onnx()
    from ..nn import Module

    if not isinstance(model, Module):
        raise TypeError(f"graphgrad.onnx.export: model must be an nn.Module, got {type(model).__name__}")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"graphgrad.onnx.export: opset_version must be between {MIN_OPSET} and "
                         f"{newest} (the newest the installed onnx knows), got {opset_version}")
    args = args if isinstance(args, tuple) else (args,)
    kwargs = dict(kwargs or {})
    leaves = _tensors((args, kwargs))
    if not leaves:
        raise ValueError("graphgrad.onnx.export: args holds no tensor; the model needs an example input")
    in_names = _names(input_names, len(leaves), "input")
    axes = _dynamic_axes(dynamic_axes, in_names, output_names)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        tracer, outputs = _trace(model, args, kwargs, leaves, in_names)
        others = [_other_input(t, axes.get(name, {}), name) for t, name in zip(leaves, in_names)]
        tracer2, outputs2 = _trace(model, args, kwargs, leaves, in_names, others)
    finally:
        for m, training in modes:
            m.training = training
    out_names = _names(output_names, len(outputs), "output")
    proto = _model_proto(onnx, model, opset, tracer, tracer2, outputs, outputs2, in_names,
                         out_names, axes, keep_initializers_as_inputs)
    data = proto.SerializeToString()
    onnx.checker.check_model(data)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    if f is not None:
        _write(data, f)
    return proto


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("graphgrad.onnx.export needs the onnx package: pip install "
                          "'graphgrad[onnx]' (or pip install onnx)") from None
    return onnx


# ------------------------------------------------------------------ arguments
def _tensors(tree) -> list:
    """The tensors in a nest of tuples, lists and dicts, depth first."""
    if isinstance(tree, Tensor):
        return [tree]
    if isinstance(tree, (tuple, list)):
        return [t for item in tree for t in _tensors(item)]
    if isinstance(tree, dict):
        return [t for item in tree.values() for t in _tensors(item)]
    return []


def _replace(tree, new: dict):
    """``tree`` with each tensor replaced by ``new[id(tensor)]``."""
    if isinstance(tree, Tensor):
        return new[id(tree)]
    if isinstance(tree, (tuple, list)):
        items = [_replace(item, new) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    if isinstance(tree, dict):
        return {k: _replace(v, new) for k, v in tree.items()}
    return tree


def _names(given, n: int, stem: str) -> list:
    given = list(given or [])
    if len(given) > n:
        raise ValueError(f"graphgrad.onnx.export: {len(given)} {stem}_names for {n} {stem}(s)")
    default = [stem] if n == 1 else [f"{stem}_{k}" for k in range(n)]
    names = given + default[len(given):]
    if len(set(names)) != len(names):
        raise ValueError(f"graphgrad.onnx.export: repeated {stem} names {names}")
    return names


def _dynamic_axes(dynamic_axes, in_names, output_names) -> dict:
    """``{name: {axis: dim_name}}``, PyTorch's default dim names for lists of axes."""
    known = set(in_names) | set(output_names or [])
    result = {}
    for name, spec in (dynamic_axes or {}).items():
        if name not in known:
            raise ValueError(f"graphgrad.onnx.export: dynamic_axes names {name!r}, which is neither "
                             f"in input_names nor in output_names ({sorted(known)})")
        if isinstance(spec, dict):
            result[name] = {int(a): str(d) for a, d in spec.items()}
        else:
            result[name] = {int(a): f"{name}_dynamic_axes_{k + 1}" for k, a in enumerate(spec)}
    return result


def _other_input(t: Tensor, axes: dict, name: str) -> Tensor:
    """The input of the second trace: ``t`` one larger along each dynamic axis (its first slice
    repeated) and its values shuffled, so that what follows the input's sizes or values shows as
    a difference between the traces (the values stay in the input's range: token ids stay valid)."""
    array = t._data
    for axis in axes:
        if not -array.ndim <= axis < array.ndim or array.shape[axis] == 0:
            raise ValueError(f"graphgrad.onnx.export: dynamic axis {axis} of {name!r} does not exist "
                             f"or is empty (shape {tuple(array.shape)})")
        array = np.concatenate([array, array.take([0], axis=axis)], axis=axis)
    flat = array.reshape(-1)
    return Tensor._make(flat[np.random.default_rng(0).permutation(flat.size)].reshape(array.shape))


# ------------------------------------------------------------------ tracing
def _trace(model, args, kwargs, leaves, names, arrays_from=None):
    """Run the model under a ``Tracer`` on copies of its inputs (``arrays_from``: other tensors of
    the same structure). Float inputs require grad, so that every op after them is recorded and an
    in-place op stays traceable; they are non-leaves, so in-place ops on them are allowed."""
    tracer = Tracer(model)
    fresh = {}
    for leaf, source, name in zip(leaves, arrays_from or leaves, names):
        array = np.array(source._data, copy=True)
        t = Tensor._make(array)
        if array.dtype.kind == "f":
            t = Tensor._make(array, requires_grad=True).clone()
        tracer.add_input(name, t)
        fresh[id(leaf)] = t
    call_args, call_kwargs = _replace(args, fresh), _replace(kwargs, fresh)
    result = tracer.run(lambda: model(*call_args, **call_kwargs))
    outputs = _tensors(result)
    if not outputs:
        raise ExportError(f"graphgrad.onnx.export: the model returned no tensor (got "
                          f"{type(result).__name__})")
    return tracer, [tracer.resolve(t) for t in outputs]


# ------------------------------------------------------------------ the ONNX model
def _model_proto(onnx, model, opset, tracer, tracer2, outputs, outputs2, in_names, out_names, axes,
                 keep_initializers_as_inputs):
    calls, calls2 = tracer.calls, tracer2.calls
    _check_same_graph(calls, calls2)
    needed = {v.name for v in outputs}
    live = []
    for k in range(len(calls) - 1, -1, -1):
        if any(v is not None and v.name in needed for v in calls[k].outputs):
            live.append(k)
            needed.update(v.name for v in calls[k].inputs if v is not None)
    g = GraphBuilder(onnx, opset, tracer2.values, model)
    for k in reversed(live):
        call = calls[k]
        if call.op not in CONVERTERS:
            raise ExportError(f"graphgrad.onnx.export: {call.where()} has no ONNX conversion"
                              + ("" if call.op.__module__.startswith("graphgrad.") else
                                 " (a custom autograd.Function)"))
        convert, varying = CONVERTERS[call.op]
        g.scope = call.module[0] or type(model).__name__
        site = Site(g, call, calls2[k])
        site.outputs = [v.name if v is not None and v.name in needed else "" for v in call.outputs]
        site.check_options(varying)
        convert(site)
    helper = onnx.helper
    graph_outputs = []
    g.scope = "outputs"
    for v, v2, name in zip(outputs, outputs2, out_names):
        if v.kind == "const" and (v.shape != v2.shape or not np.array_equal(v.array, v2.array)):
            raise ExportError(f"graphgrad.onnx.export: output {name!r} changes with the input but "
                              "was computed outside graphgrad's ops (by a comparison, .item() or "
                              "NumPy, say); compute it with graphgrad ops")
        g.emit("Identity", [g.value(v)], [name])
        named = axes.get(name, {})
        dims = [named.get(a, f"{name}_dim_{a}" if s != s2 else s)
                for a, (s, s2) in enumerate(zip(v.shape, v2.shape))]
        graph_outputs.append(helper.make_tensor_value_info(name, _elem(helper, v.dtype), dims))
    graph_inputs = []
    for name in in_names:
        v = tracer.values[name]
        named = axes.get(name, {})
        dims = [named.get(a, named.get(a - len(v.shape), s)) for a, s in enumerate(v.shape)]
        graph_inputs.append(helper.make_tensor_value_info(name, _elem(helper, v.dtype), dims))
    initializers = [onnx.numpy_helper.from_array(np.ascontiguousarray(a), name)
                    for name, a in g.initializers.items()]
    if keep_initializers_as_inputs:
        graph_inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                         for t in initializers]
    graph = helper.make_graph(g.nodes, type(model).__name__, graph_inputs, graph_outputs, initializers)
    opsets = [helper.make_opsetid("", opset)]
    from .. import __version__

    proto = helper.make_model(graph, opset_imports=opsets, producer_name="graphgrad",
                              producer_version=__version__)
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    return proto


def _elem(helper, dtype) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _check_same_graph(calls, calls2) -> None:
    """The second trace (other input values, dynamic axes larger) must apply the same ops to the
    same values: a graph that depends on the data (a Python ``if`` or loop on values or sizes)
    cannot be written as one ONNX graph."""
    for k, (a, b) in enumerate(zip(calls, calls2)):
        same = a.op is b.op and [v and v.name for v in a.inputs] == [v and v.name for v in b.inputs]
        if not same:
            raise ExportError(f"graphgrad.onnx.export: the model applies other ops for other input "
                              f"values or sizes (op {k}: {a.where()} became {b.where()}): control "
                              "flow that depends on the data cannot be exported")
    if len(calls) != len(calls2):
        raise ExportError(f"graphgrad.onnx.export: the model applies {len(calls2)} ops instead of "
                          f"{len(calls)} for other input values or sizes: control flow that depends "
                          "on the data cannot be exported")


def _write(data: bytes, f) -> None:
    if hasattr(f, "write"):
        f.write(data)
        return
    path = os.fspath(f)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as out:
            out.write(data)
        os.replace(tmp, path)  # atomic: a reader never sees half a model
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
