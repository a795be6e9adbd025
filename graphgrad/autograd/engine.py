"""The backward engine: walks the graph from the outputs to the leaves in reverse topological order.

The order is built without recursion (Kahn's algorithm), so graphs of any depth work. Gradients
arriving at a node from several uses are summed in a per-node buffer that is dropped as soon as the
node has run. Without ``create_graph`` the engine moves raw arrays and calls an op's
``backward_arrays`` where it has one; with it, gradients are tensors and every backward is recorded.
"""
from __future__ import annotations

import numpy as np

from . import anomaly, grad_mode
from .function import AccumulateGrad
from .tensor import Tensor


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves they depend on
    (only into ``inputs``, when given)."""
    tensors = _as_tuple(tensors)
    grads = _initial_grads(tensors, grad_tensors, create_graph, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    roots = [(t._edge(), g) for t, g in zip(tensors, grads)]
    targets = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
        targets = []
        for t in inputs:
            if not t._requires_grad:
                raise RuntimeError("backward: one of the 'inputs' does not require grad")
            if t.grad_fn is not None:
                t.retain_grad()
            targets.append(t._edge())
    run_backward(roots, retain_graph, create_graph, targets=targets, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Return d(outputs)/d(inputs) (times ``grad_outputs``) without touching any ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grads = _initial_grads(outputs, grad_outputs, create_graph, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    edges = []
    for t in inputs:
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError("grad: one of the differentiated Tensors does not require grad")
        edges.append(t._edge())
    roots = [(t._edge(), g) for t, g in zip(outputs, grads)]
    captured = run_backward(roots, retain_graph, create_graph, targets=edges, accumulate=False)
    result = []
    for t, g in zip(inputs, captured):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "grad: one of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = Tensor._make(np.zeros_like(t._data))
        elif not isinstance(g, Tensor):
            g = Tensor._make(g)
        result.append(g)
    return tuple(result)


def _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _initial_grads(outputs, grad_outputs, create_graph, op):
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    result = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(
                f"{op}: element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, but the output "
                    f"has shape {tuple(t._data.shape)}; pass gradient= of that shape")
            array = np.ones_like(t._data)
            result.append(Tensor._make(array) if create_graph else array)
            continue
        if not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=t._data.dtype))
        if g._data.shape != t._data.shape:
            raise RuntimeError(
                f"{op}: mismatch in shape: grad_output[{i}] has a shape of {tuple(g._data.shape)} "
                f"and output[{i}] has a shape of {tuple(t._data.shape)}")
        result.append(g if create_graph else g._data)
    return result


def _indegrees(root_nodes) -> dict:
    """For every node reachable from ``root_nodes`` (the roots themselves only when another root
    feeds them), how many edges bring it a gradient."""
    indegree = {}
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        for edge in node._next:
            if edge is None:
                continue
            child = edge[0]
            if child in indegree:
                indegree[child] += 1
            else:
                indegree[child] = 1
                if child not in root_nodes:  # a root is walked from the start
                    stack.append(child)
    return indegree


def _topological_order(root_nodes):
    """All nodes reachable from ``root_nodes``, each after every node that feeds it a gradient."""
    indegree = _indegrees(root_nodes)
    ready = [n for n in root_nodes if n not in indegree]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in node._next:
            if edge is None:
                continue
            child = edge[0]
            left = indegree[child] - 1
            indegree[child] = left
            if not left:
                ready.append(child)
    return order


def _needed(order, target_nodes):
    """The nodes from which some target can be reached (walking the order backwards)."""
    needed = set()
    for node in reversed(order):
        if node in target_nodes or any(e is not None and e[0] in needed for e in node._next):
            needed.add(node)
    return needed


def _owner(array):
    while array.base is not None and isinstance(array.base, np.ndarray):
        array = array.base
    return id(array)


def run_backward(roots, retain_graph, create_graph, targets=None, accumulate=True):
    """Propagate gradients from ``roots`` ((edge, gradient) pairs).

    With ``accumulate``, leaves receive their gradients in ``.grad``; ``targets`` (edges), when
    given, limit the work to what reaches them, and their gradients are returned in that order.
    """
    root_nodes = {edge[0] for edge, _ in roots}
    fast = targets is None and not create_graph and not anomaly._enabled[0]
    order = needed = None
    target_nodes = None
    captured = {}
    if not fast:
        order = _topological_order(root_nodes)
    if targets is not None:
        target_nodes = {e[0] for e in targets}
        needed = _needed(order, target_nodes)
        for e in targets:
            captured[e] = None
    # Arrays may be routed to several places (an add passes one gradient to both inputs); a leaf
    # stores a gradient without copying only when nothing else shares its memory.
    routed = {}
    buffers = {}
    for edge, g in roots:
        _add_to_buffer(buffers, edge, g, routed, create_graph)
        if not create_graph:
            routed[_owner(g)] = 2  # the caller's array: never store it as .grad
    prev_mode = grad_mode._enabled[0]
    grad_mode._enabled[0] = create_graph
    try:
        if fast:
            _run_arrays(root_nodes, buffers, routed, retain_graph, accumulate)
        else:
            _run_general(order, buffers, routed, retain_graph, create_graph, target_nodes,
                         needed, captured, accumulate)
    finally:
        grad_mode._enabled[0] = prev_mode
    if targets is not None:
        return [captured[e] for e in targets]
    return None


def _run_general(order, buffers, routed, retain_graph, create_graph, target_nodes, needed,
                 captured, accumulate):
    """Run the nodes of ``order`` in turn: any case (targets, ``create_graph``, anomaly mode)."""
    for node in order:
        buf = buffers.pop(node, None)
        if buf is None:
            continue
        if target_nodes is not None and node not in needed:
            continue
        is_leaf = type(node) is AccumulateGrad
        if node._pre_hooks is not None or node._retain_hooks is not None or (
                is_leaf and node.variable._hooks):
            _apply_pre_hooks(node, buf, create_graph)
        if captured:
            for nr, g in enumerate(buf):
                if (node, nr) in captured and g is not None:
                    captured[(node, nr)] = g
        if is_leaf:
            if accumulate and (target_nodes is None or node in target_nodes):
                _accumulate(node.variable, buf[0], create_graph, routed)
                for hook in list(getattr(node.variable, "_post_acc_hooks", None) or ()):
                    hook(node.variable)
            continue
        if target_nodes is not None and not any(
                e is not None and e[0] in needed for e in node._next):
            continue
        grads_in = _call_node(node, buf, create_graph)
        if not retain_graph:
            node._release()
        for i, edge in enumerate(node._next):
            if edge is not None and grads_in[i] is not None:
                _add_to_buffer(buffers, edge, grads_in[i], routed, create_graph)


def _run_arrays(root_nodes, buffers, routed, retain_graph, accumulate):
    """The common backward (no targets, no graph of the backward, no anomaly mode), with the
    helpers inlined: per node, Python overhead is most of the cost of a small op's backward.

    It runs each node as soon as every node that feeds it a gradient has run, in the order of
    ``_topological_order`` (whose second pass it merges with the work), and checks each gradient
    against its input's shape and dtype as ``_call_node`` does."""
    indegree = _indegrees(root_nodes)
    ready = [n for n in root_nodes if n not in indegree]
    ndarray = np.ndarray
    while ready:
        node = ready.pop()
        buf = buffers.pop(node, None)
        if buf is None:  # no gradient reached it: only release what it feeds
            for edge in node._next:
                if edge is not None:
                    child = edge[0]
                    left = indegree[child] - 1
                    indegree[child] = left
                    if not left:
                        ready.append(child)
            continue
        if type(node) is AccumulateGrad:
            if node.variable._hooks:
                _apply_pre_hooks(node, buf, False)
            if accumulate:
                _accumulate(node.variable, buf[0], False, routed)
                for hook in list(getattr(node.variable, "_post_acc_hooks", None) or ()):
                    hook(node.variable)
            continue
        if node._pre_hooks is not None or node._retain_hooks is not None:
            _apply_pre_hooks(node, buf, False)
        if len(buf) > 1 and node.materialize_grads and any(g is None for g in buf):
            buf = [g if g is not None or m is None else _zeros(m, False)
                   for g, m in zip(buf, node._out_meta)]
        backward_arrays = node.backward_arrays
        if backward_arrays is not None:
            result = backward_arrays(node, *buf)
        else:
            result = type(node).backward(node, *[Tensor._make(g) if g is not None else None
                                                 for g in buf])
        if type(result) is not tuple:
            result = (result,)
        edges = node._next
        if len(result) != len(edges) and (len(result) < len(edges) or any(
                r is not None for r in result[len(edges):])):
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients "
                f"(expected {len(edges)}, got {len(result)})")
        if not retain_graph and node._saved is not None:
            node._saved = None
            node._freed = True
        in_meta = node._in_meta
        for i, (edge, g) in enumerate(zip(edges, result)):
            if edge is not None:
                child, nr = edge
                if g is not None:
                    meta = in_meta[i]
                    if type(g) is not ndarray or g.shape != meta[0] or g.dtype != meta[1]:
                        g = _check_grad(node, i, g, False)
                    cbuf = buffers.get(child)
                    if cbuf is None:
                        cbuf = buffers[child] = [None] * len(child._out_meta)
                    if cbuf[nr] is None:
                        cbuf[nr] = g
                        key = id(g) if g.base is None else _owner(g)
                        routed[key] = routed.get(key, 0) + 1
                    else:
                        cbuf[nr] = cbuf[nr] + g
                left = indegree[child] - 1
                indegree[child] = left
                if not left:
                    ready.append(child)


def _add_to_buffer(buffers, edge, g, routed, create_graph):
    """Sum ``g`` into the gradient buffer of ``edge`` (``run_backward`` inlines this for its common
    case, where it runs once per edge of the graph)."""
    node, nr = edge
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * len(node._out_meta)
    if buf[nr] is None:
        buf[nr] = g
        if not create_graph:
            key = _owner(g)
            routed[key] = routed.get(key, 0) + 1
    else:
        buf[nr] = buf[nr] + g


def _apply_pre_hooks(node, buf, create_graph):
    if isinstance(node, AccumulateGrad):
        hooks_by_nr = {0: node.variable._hooks} if node.variable._hooks else None
        retain = None
    else:
        hooks_by_nr = node._pre_hooks
        retain = node._retain_hooks
    if not hooks_by_nr and not retain:
        return
    for nr in range(len(buf)):
        g = buf[nr]
        if g is None:
            continue
        hooks = list((hooks_by_nr or {}).get(nr, ()))
        if retain and nr in retain:
            hooks.append(retain[nr])
        for hook in hooks:
            t = g if isinstance(g, Tensor) else Tensor._make(g)
            new = hook(t)
            if new is not None:
                g = new if create_graph else new._data
        buf[nr] = g


def _call_node(node, buf, create_graph):
    """Run one node's backward; return one gradient (or None) per forward argument."""
    meta = node._out_meta
    if node.materialize_grads and any(g is None for g in buf):
        buf = [g if g is not None or m is None else _zeros(m, create_graph)
               for g, m in zip(buf, meta)]
    if create_graph:
        result = type(node).backward(node, *buf)
    elif node.backward_arrays is not None:
        result = type(node).backward_arrays(node, *buf)
    else:
        tensors = [Tensor._make(g) if g is not None else None for g in buf]
        result = type(node).backward(node, *tensors)
    if not isinstance(result, tuple):
        result = (result,)
    n_inputs = len(node._next)
    if len(result) < n_inputs or any(r is not None for r in result[n_inputs:]):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {n_inputs}, got {len(result)})")
    checked = []
    for i, edge in enumerate(node._next):
        g = result[i]
        if edge is None or g is None:
            checked.append(None)
            continue
        checked.append(_check_grad(node, i, g, create_graph))
    if anomaly._enabled[0]:
        anomaly.check_backward(node, [g if not isinstance(g, Tensor) else g._data
                                      for g in checked if g is not None])
    return checked


def _check_grad(node, i, g, create_graph):
    shape, dtype = node._in_meta[i]
    if create_graph:
        if not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g))
        array = g._data
    else:
        if isinstance(g, Tensor):
            g = g._data
        elif not isinstance(g, np.ndarray):
            g = np.asarray(g)
        array = g
    if array.shape != shape:
        raise RuntimeError(
            f"function {node.name()} returned an invalid gradient at index {i} - got "
            f"{list(array.shape)} but expected shape compatible with {list(shape)}")
    if array.dtype != dtype:
        g = g.to(dtype) if create_graph else array.astype(dtype)
    return g


def _zeros(meta, create_graph):
    shape, dtype = meta
    z = np.zeros(shape, dtype=dtype)
    return Tensor._make(z) if create_graph else z


def _accumulate(leaf, g, create_graph, routed):
    if create_graph:
        if not isinstance(g, Tensor):
            g = Tensor._make(g)
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    if isinstance(g, Tensor):
        g = g._data
    current = leaf.grad
    if current is None:
        if routed.get(_owner(g), 0) > 1 or not g.flags.writeable or g.base is not None:
            g = np.array(g, copy=True)
        leaf.grad = Tensor._make(g)
    elif current.grad_fn is None and current._data.flags.writeable:
        np.add(current._data, g, out=current._data)
        current._bump_version()
    else:
        leaf.grad = Tensor._make(current._data + g)
