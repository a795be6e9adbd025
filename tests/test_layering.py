"""DESIGN.md's map, enforced: a module of graphgrad never imports from a higher layer."""
import ast
import os

import graphgrad

PACKAGE = os.path.dirname(graphgrad.__file__)
LAYER = {
    "backend": 1, "allocator": 1, "_blas_spin": 1, "accelerator": 1, "backends": 1, "cuda": 1, "version": 1,
    "autograd": 2, "multiprocessing": 2,
    "ops": 3, "distributed": 3, "linalg": 3, "special": 3, "testing": 3,
    "nn": 4, "serialization": 4, "distributions": 4, "safe_objects": 4,
    "optim": 5,
    "utils": 6,
    "vision": 7, "text": 7,
    "models": 8, "onnx": 8,
    "train": 9, "attacks": 9,
    "viz": 10,
    "recipes": 11, "cli": 11, "__main__": 11, "playground": 11, "claims": 11,
}


def _layer(module: str):
    parts = module.split(".")
    return LAYER.get(parts[1]) if parts[0] == "graphgrad" and len(parts) > 1 else None


def _imports(path: str, module: str, package: str):
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                full = ".".join(base + ([node.module] if node.module else []))
                names = [full + "." + a.name for a in node.names]
                yield node.lineno, ([full] if node.module else []) + names
            elif node.module:
                yield node.lineno, [node.module]
        elif isinstance(node, ast.Import):
            yield node.lineno, [a.name for a in node.names]


def test_imports_point_down_the_layers():
    violations = []
    for root, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].replace(os.sep, ".")
            module = rel[: -len(".__init__")] if rel.endswith(".__init__") else rel
            package = module if name == "__init__.py" else module.rsplit(".", 1)[0]
            own = _layer(module)
            if own is None:
                continue
            for line, targets in _imports(path, module, package):
                for target in targets:
                    layer = _layer(target)
                    if layer is not None and layer > own:
                        violations.append(f"{rel}.py:{line} (layer {own}) imports {target} "
                                          f"(layer {layer})")
    assert not violations, "\n".join(sorted(set(violations)))


def test_every_part_of_the_package_has_a_layer():
    parts = {name[:-3] if name.endswith(".py") else name for name in os.listdir(PACKAGE)
             if not name.startswith((".", "_")) or name == "__main__.py"}
    parts = {p for p in parts if p != "__pycache__" and (p.isidentifier())}
    assert parts <= set(LAYER), f"add these to LAYER (and DESIGN.md's map): {parts - set(LAYER)}"
