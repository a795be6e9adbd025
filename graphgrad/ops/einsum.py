"""``einsum``: Einstein summation over labelled dimensions, with PyTorch's conventions (implicit
output in alphabetical order, ``...`` for broadcast dims, dims of size 1 broadcast).

The gradient with respect to one operand is itself an einsum: of the output gradient and the other
operands, into that operand's labels. A label that appears twice in one operand (a diagonal,
``'ii->i'``) is handled by renaming the repeat and adding an identity matrix; a label summed within
one operand alone (``'ij->i'``) by adding a vector of ones. So the backward is differentiable again.
"""
from __future__ import annotations

import string

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor

_LETTERS = string.ascii_letters


class Einsum(ArrayFunction):
    """``np.einsum`` on explicit labels (no ellipsis, every label of one size everywhere)."""

    @staticmethod
    def forward(ctx, *arrays, inputs, output, sizes):
        ctx.inputs, ctx.output, ctx.sizes = inputs, output, sizes
        ctx.save_for_backward(*arrays)
        eq = ",".join(inputs) + "->" + output
        return np.einsum(eq, *arrays, optimize=len(arrays) > 2)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        return tuple(_operand_grad(ctx, g, operands, i) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


def _operand_grad(ctx, g: Tensor, operands, i: int) -> Tensor:
    subs = ctx.inputs[i]
    others = [(s, t) for k, (s, t) in enumerate(zip(ctx.inputs, operands)) if k != i]
    subs_in = [ctx.output] + [s for s, _ in others]
    tensors = [g] + [t for _, t in others]
    present = set("".join(subs_in))
    unused = iter(c for c in _LETTERS if c not in set("".join(ctx.inputs) + ctx.output))
    target = []
    for c in subs:
        if c in target:  # a repeated label: a fresh label tied to the first by an identity matrix
            fresh = next(unused)
            n = ctx.sizes[c]
            subs_in.append(c + fresh)
            tensors.append(Tensor._make(np.eye(n, dtype=g._data.dtype)))
            target.append(fresh)
            continue
        if c not in present:  # summed within this operand alone: the gradient is constant along it
            subs_in.append(c)
            tensors.append(Tensor._make(np.ones(ctx.sizes[c], dtype=g._data.dtype)))
            present.add(c)
        target.append(c)
    return Einsum.apply(*tensors, inputs=tuple(subs_in), output="".join(target),
                        sizes=_sizes_for(subs_in, tensors))


def _sizes_for(subs, tensors) -> dict:
    sizes = {}
    for s, t in zip(subs, tensors):
        for c, n in zip(s, t._data.shape):
            sizes[c] = n
    return sizes


def _parse(equation: str, shapes) -> tuple:
    """Explicit labels for every operand and the output, ``...`` replaced by fresh labels."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(
            f"einsum: {len(inputs)} operands in the equation {equation!r} but {len(shapes)} tensors "
            "were given")
    for part in inputs + [out]:
        stripped = part.replace("...", "")
        bad = [c for c in stripped if c not in _LETTERS]
        if bad or stripped.count(".") or part.count("...") > 1:
            raise ValueError(
                f"einsum: invalid subscript {part!r} in equation {equation!r}: use letters a-z, A-Z "
                "and at most one '...' per operand")
    used = set(c for c in eq if c in _LETTERS)
    fresh = [c for c in _LETTERS if c not in used]
    ell_rank = 0
    for part, shape in zip(inputs, shapes):
        named = len(part.replace("...", ""))
        if "..." in part:
            ell_rank = max(ell_rank, len(shape) - named)
            if len(shape) < named:
                raise ValueError(
                    f"einsum: operand with subscripts {part!r} has {len(shape)} dims (shape "
                    f"{tuple(shape)}), fewer than its {named} labels")
        elif named != len(shape):
            raise ValueError(
                f"einsum: the number of subscripts in {part!r} ({named}) does not match the number of "
                f"dimensions ({len(shape)}, shape {tuple(shape)}) of its operand")
    if len(fresh) < ell_rank:
        raise ValueError(f"einsum: too many dims under '...' in {equation!r}")
    ell = "".join(fresh[:ell_rank])
    expanded = []
    for part, shape in zip(inputs, shapes):
        if "..." in part:
            k = len(shape) - len(part.replace("...", ""))
            part = part.replace("...", ell[ell_rank - k:] if k else "")
        expanded.append(part)
    if explicit:
        out = out.replace("...", ell)  # without '...' in the output, those dims are summed
        for c in out:
            if out.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once in "
                                 f"{equation!r}")
            if c not in "".join(expanded):
                raise ValueError(f"einsum: output subscript {c!r} does not appear in the inputs of "
                                 f"{equation!r}")
    else:
        counts = {}
        for c in "".join(p.replace(ell, "") if ell else p for p in expanded):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted((c for c, k in counts.items() if k == 1 and c not in ell),
                                   key=_alphabetical))
    return expanded, out


def _alphabetical(c: str) -> tuple:
    """PyTorch's implicit output order: upper case before lower case."""
    return (c.islower(), c)


def _from_sublists(args) -> tuple:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` to an equation and operands."""
    args = list(args)
    out = None
    if len(args) % 2 == 1:
        out = args.pop()
    operands = args[0::2]
    lists = args[1::2]

    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sub)

    eq = ",".join(letters(s) for s in lists)
    if out is not None:
        eq += "->" + letters(out)
    return eq, operands


def einsum(equation, *operands) -> Tensor:
    """Sum of products over labelled dims, e.g. ``einsum('bij,bjk->bik', a, b)`` (batched matmul),
    ``einsum('ii', a)`` (trace), ``einsum('...ij->...ji', a)``. Operands may also be one list, or
    given in the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if not isinstance(equation, str):
        equation, operands = _from_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: must provide at least one operand")
    for t in operands:
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum: expected Tensor operands, got {type(t).__name__}")
    inputs, output = _parse(equation, [t._data.shape for t in operands])
    for subs, t in zip(inputs, operands):
        for c in set(subs):
            if subs.count(c) > 1:
                dims = [t._data.shape[k] for k, s in enumerate(subs) if s == c]
                if len(set(dims)) > 1:
                    raise RuntimeError(
                        f"einsum: subscript {c} is repeated for an operand of shape "
                        f"{tuple(t._data.shape)} but the sizes don't match, {dims}")
    sizes = {}
    for subs, t in zip(inputs, operands):
        for c, n in zip(subs, t._data.shape):
            if c in sizes and n != sizes[c] and n != 1 and sizes[c] != 1:
                raise RuntimeError(
                    f"einsum: subscript {c} has size {n} for an operand of shape "
                    f"{tuple(t._data.shape)}, which does not broadcast with previously seen size "
                    f"{sizes[c]} (equation {equation!r})")
            sizes[c] = n if c not in sizes or sizes[c] == 1 else sizes[c]
    prepared = []
    for subs, t in zip(inputs, operands):
        target = tuple(sizes[c] for c in subs)
        prepared.append(t if t._data.shape == target else t.expand(target))
    dtype = prepared[0]._data.dtype
    if any(t._data.dtype != dtype for t in prepared):
        raise RuntimeError(
            f"einsum: expected all operands to have the same dtype, got "
            f"{[str(t.dtype) for t in prepared]}")
    return Einsum.apply(*prepared, inputs=tuple(inputs), output=output, sizes=sizes)


__all__ = ["einsum"]
