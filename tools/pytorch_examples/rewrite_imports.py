"""Rewrite the ``torch``/``torchvision`` import statements of a PyTorch program to graphgrad's,
leaving every other line as it was: the port that graphgrad promises is exactly this change.

The mapping (also in docs/porting.md):

    import torch                          -> import graphgrad as torch
    import torch.nn as nn                 -> import graphgrad.nn as nn
    import torch.nn.parallel              -> import graphgrad.nn.parallel; import graphgrad as torch
    from torch import nn, optim           -> from graphgrad import nn, optim
    from torch.optim.lr_scheduler import StepLR -> from graphgrad.optim.lr_scheduler import StepLR
    import torchvision                    -> import graphgrad.vision as torchvision
    from torchvision import datasets      -> from graphgrad.vision import datasets
    import torchvision.utils as vutils    -> import graphgrad.vision.utils as vutils
"""
from __future__ import annotations

import ast

# PyTorch's top-level package name -> graphgrad's; the longest prefix wins
PACKAGES = {"torch": "graphgrad", "torchvision": "graphgrad.vision"}


def _map(name: str) -> str | None:
    """``torch.nn.functional`` -> ``graphgrad.nn.functional``; None for other packages."""
    top, _, rest = name.partition(".")
    if top not in PACKAGES:
        return None
    return PACKAGES[top] + ("." + rest if rest else "")


def _rewrite_import(node: ast.Import) -> str | None:
    """One ``import a, b as c`` statement as graphgrad statements (joined with ``; ``)."""
    if not any(_map(alias.name) for alias in node.names):
        return None
    parts = []
    for alias in node.names:
        target = _map(alias.name)
        if target is None:
            parts.append(f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else ""))
        elif alias.asname:
            parts.append(f"import {target} as {alias.asname}")
        elif "." not in alias.name:
            parts.append(f"import {target} as {alias.name}")
        else:
            # ``import torch.nn.parallel`` loads the submodule and binds the name ``torch``
            top = alias.name.split(".")[0]
            parts.append(f"import {target}; import {PACKAGES[top]} as {top}")
    return "; ".join(parts)


def _rewrite_from(node: ast.ImportFrom) -> str | None:
    if node.level or node.module is None or _map(node.module) is None:
        return None
    names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
    return f"from {_map(node.module)} import {names}"


def rewrite_imports(source: str) -> str:
    """Return ``source`` with each torch/torchvision import statement rewritten to graphgrad's.

    Only whole lines that hold an import statement change (a statement spread over several lines
    becomes one line, keeping the line count by padding with blank lines); everything else,
    comments included, is kept byte for byte. Raises ``SyntaxError`` for a file Python cannot
    parse."""
    lines = source.splitlines(keepends=True)
    edits = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            new = _rewrite_import(node)
        elif isinstance(node, ast.ImportFrom):
            new = _rewrite_from(node)
        else:
            continue
        if new is not None:
            edits.append((node.lineno, node.end_lineno, node.col_offset, node.end_col_offset, new))
    for first, last, col, end_col, new in sorted(edits, reverse=True):
        line = lines[first - 1]
        indent = line[:col]
        rest = lines[last - 1][end_col:].rstrip("\r\n")  # a trailing comment is kept
        newline = "\n" if lines[last - 1].endswith("\n") else ""
        if not indent.strip() and (not rest.strip() or rest.strip().startswith("#")):
            lines[first - 1:last] = [indent + new + rest + newline] + ["\n"] * (last - first)
        else:
            raise ValueError(f"line {first}: an import statement shares its line with other code "
                             f"({line.strip()!r}); split it before rewriting")
    return "".join(lines)
