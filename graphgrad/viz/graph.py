"""``draw_graph``: the computation graph behind a tensor as Graphviz DOT text, rendered to SVG or
PNG by Graphviz's ``dot`` program when it is installed.

Each backward node (one per recorded op) is a box with the op's name and output shape; each leaf
that requires grad is an ellipse, labelled with its parameter name when ``params`` names it; the
tensor itself is the bottom node. Edges point the way values flowed in the forward pass.
"""
from __future__ import annotations

import os
import shutil
import subprocess

from ..autograd.function import AccumulateGrad
from ..serialization import atomic_write

DOT_MISSING = ("draw_graph: rendering needs Graphviz's `dot` program, which is not installed "
               "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz). "
               "The DOT text is in .source, and .save('graph.dot') writes it without Graphviz.")


def _shape(shape) -> str:
    return str(tuple(int(s) for s in shape))


def _quote(text: str) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


class GraphDrawing:
    """The DOT text of a graph (``source``); ``save(path)`` writes ``.dot`` text directly or renders
    ``.svg``/``.png``/``.pdf`` with ``dot``; notebooks show it as SVG when ``dot`` is installed."""

    def __init__(self, source: str, num_ops: int, num_leaves: int):
        self.source, self.num_ops, self.num_leaves = source, num_ops, num_leaves

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"GraphDrawing({self.num_ops} ops, {self.num_leaves} leaves)"

    def save(self, path: str) -> str:
        """Write ``path``; its extension picks the format (dot, gv, svg, png, pdf)."""
        fmt = os.path.splitext(path)[1].lstrip(".").lower()
        if fmt in ("dot", "gv", ""):
            from ..train.run_dir import atomic_write_text

            atomic_write_text(path, self.source)
            return path
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"draw_graph: cannot save as {fmt!r}; use .dot, .svg, .png or .pdf")
        data = render(self.source, fmt)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        atomic_write(path, lambda f: f.write(data))
        return path

    def _repr_svg_(self):
        if shutil.which("dot") is None:
            return None
        return render(self.source, "svg").decode("utf-8")


def render(source: str, fmt: str = "svg") -> bytes:
    """Run ``dot -T<fmt>`` on DOT ``source`` and return the bytes; a clear error without Graphviz."""
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(DOT_MISSING)
    result = subprocess.run([exe, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                            timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"draw_graph: dot failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def _param_names(params) -> dict:
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    return {id(t): name for name, t in dict(params).items()}


def draw_graph(tensor, params=None, path: str | None = None, show_shapes: bool = True,
               max_nodes: int = 2000) -> GraphDrawing:
    """The graph that produced ``tensor`` (or a list/tuple of tensors).

    ``params``: a Module or a ``{name: tensor}`` dict naming the leaves (e.g.
    ``dict(model.named_parameters())``). ``path``: also save it (.dot, .svg, .png, .pdf; the
    rendered formats need Graphviz's ``dot``). Walks the graph iteratively, at most ``max_nodes``.

    >>> x = graphgrad.ones(2, 3, requires_grad=True)
    >>> print(draw_graph((x * 2).sum(), {"x": x}).source)   # doctest: +SKIP
    """
    roots = list(tensor) if isinstance(tensor, (list, tuple)) else [tensor]
    names = _param_names(params)
    lines = ["digraph graphgrad {", '  graph [rankdir=BT, fontsize=10];',
             '  node [fontname="Helvetica", fontsize=10, style=filled];']
    ids: dict = {}
    order: list = []
    stack = []
    for i, t in enumerate(roots):
        if not hasattr(t, "grad_fn"):
            raise TypeError(f"draw_graph: expected a Tensor, got {type(t).__name__}")
        label = f"output{'' if len(roots) == 1 else ' ' + str(i)}"
        if show_shapes:
            label += "\n" + _shape(t.shape)
        out_id = f"out{i}"
        lines.append(f'  {out_id} [label={_quote(label)}, shape=ellipse, fillcolor="#a8e6a1"];')
        edge = t._edge() if t.requires_grad else None
        if edge is None:
            continue
        node = edge[0]
        if id(node) not in ids:
            ids[id(node)] = f"n{len(ids)}"
            order.append(node)
            stack.append(node)
        lines.append(f"  {ids[id(node)]} -> {out_id};")
    edges = []
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            child = edge[0]
            if child is None:
                continue
            if id(child) not in ids:
                if len(ids) >= max_nodes:
                    raise RuntimeError(f"draw_graph: the graph has more than {max_nodes} nodes; "
                                       "raise max_nodes to draw it")
                ids[id(child)] = f"n{len(ids)}"
                order.append(child)
                stack.append(child)
            edges.append((ids[id(child)], ids[id(node)]))
    n_ops = n_leaves = 0
    for node in order:
        nid = ids[id(node)]
        if isinstance(node, AccumulateGrad):
            n_leaves += 1
            var = node.variable
            name = names.get(id(var), "")
            label = name or "leaf"
            if show_shapes:
                label += "\n" + _shape(var.shape)
            color = "#add8e6" if name else "#d3d3d3"
            lines.append(f"  {nid} [label={_quote(label)}, shape=ellipse, fillcolor=\"{color}\"];")
        else:
            n_ops += 1
            label = node.name()
            if show_shapes and node._out_meta:
                shapes = [_shape(m[0]) for m in node._out_meta if m is not None]
                label += "\n" + " ".join(shapes)
            lines.append(f"  {nid} [label={_quote(label)}, shape=box, fillcolor=\"#f5f5f5\"];")
    lines += [f"  {a} -> {b};" for a, b in edges]
    lines.append("}")
    drawing = GraphDrawing("\n".join(lines) + "\n", n_ops, n_leaves)
    if path is not None:
        drawing.save(path)
    return drawing
