"""Whole objects in graphgrad files - ``save(model, f)`` / ``load(f, weights_only=False)`` - without
pickle, and the allowlist that governs loading them (PyTorch's ``add_safe_globals``).

How an object is stored: its class as a (module, qualified name) pair and its state (its
``__dict__``, or what its ``__getstate__`` returns) encoded like any other data, with the arrays in
the archive. A module, a custom object holding tensors, a function or class it refers to (a
``norm_layer`` class, an ``activation`` function) all store this way; lambdas, local classes and
objects without a ``__dict__`` do not. An object met twice is stored once and comes back shared
(cycles too).

How it is loaded: rebuilding an object means importing its class and calling it (``__new__`` and
``__setstate__``): running code named by the file. So, as in PyTorch since 2.6, ``load`` refuses a
file that names classes unless the caller opts in: ``weights_only=False`` (trust the file) or each
class allowlisted with ``add_safe_globals([Net, nn.Linear, ...])`` / the ``safe_globals`` context
manager. An allowlisted class is taken from the allowlist itself, never imported by name.
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
import pickle
import sys

_SAFE_GLOBALS: dict[str, object] = {}  # "module.qualname" -> the allowlisted class or function


def global_name(obj) -> str:
    """``module.qualname``: how a file and PyTorch's messages name a class or function."""
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals) -> None:
    """Allow ``load(..., weights_only=True)`` to rebuild instances of these classes (and to refer
    to these functions). Only add what you trust: rebuilding runs the class's code."""
    for item in safe_globals:
        if isinstance(item, tuple):  # PyTorch's (obj, "module.name") form
            obj, name = item
            _SAFE_GLOBALS[name] = obj
            continue
        if not hasattr(item, "__qualname__"):
            raise TypeError(f"add_safe_globals: expected classes or functions, got {item!r}")
        _SAFE_GLOBALS[global_name(item)] = item


def get_safe_globals() -> list:
    """The classes and functions added with ``add_safe_globals``."""
    return list(_SAFE_GLOBALS.values())


def allowed_names() -> set[str]:
    """The ``module.qualname`` names currently allowlisted."""
    return set(_SAFE_GLOBALS)


def clear_safe_globals() -> None:
    _SAFE_GLOBALS.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allowlist classes and functions inside a ``with`` block only."""
    saved = dict(_SAFE_GLOBALS)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _SAFE_GLOBALS.clear()
        _SAFE_GLOBALS.update(saved)


class WeightsOnlyError(pickle.UnpicklingError):
    """``load`` met a class or function the caller did not allow (a ``pickle.UnpicklingError``,
    which is what PyTorch raises there)."""


def weights_only_message(name: str) -> str:
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two options, "
        "do those steps only if you trust the source of the checkpoint.\n"
        "\t(1) As in PyTorch 2.6 and later, `weights_only` defaults to True in `graphgrad.load`. "
        "Re-running `graphgrad.load` with `weights_only` set to `False` will likely succeed, but "
        "it can result in arbitrary code execution. Do it only if you got the file from a trusted "
        "source.\n"
        "\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps "
        "in the following error message.\n"
        f"\tWeightsUnpickler error: Unsupported global: GLOBAL {name} was not an allowed global "
        f"by default. Please use `graphgrad.serialization.add_safe_globals([{name}])` or the "
        f"`graphgrad.serialization.safe_globals([{name}])` context manager to allowlist this "
        "global if you trust this class/function.")


# -------------------------------------------------------------------------------- saving
def _importable(obj) -> tuple[str, str] | None:
    """(module, qualname) when ``obj`` can be found again by that name, else None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname:  # lambdas and local definitions
        return None
    target = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return (module, qualname) if target is obj else None


def _object_state(obj):
    """The state to store for an instance, or None when it has none we can capture."""
    cls = type(obj)
    if cls.__reduce_ex__ is not object.__reduce_ex__ or cls.__reduce__ is not object.__reduce__:
        return None  # custom pickling: its state is not simply its attributes
    getstate = getattr(cls, "__getstate__", None)
    if getstate is not None and getstate is not getattr(object, "__getstate__", None):
        state = obj.__getstate__()
        return state if isinstance(state, dict) else None
    return vars(obj) if hasattr(obj, "__dict__") else None


def encode_object(obj, encoder, where: str):
    """The JSON node for a class, function or instance, or None when it can't be stored.
    ``encoder`` is serialization's encoder: ``encoder.encode(value, where)`` stores the state and
    ``encoder.objects`` remembers what was stored (for sharing and cycles)."""
    memo = encoder.objects
    if id(obj) in memo:
        return {"__object_ref__": memo[id(obj)][0]}
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
        name = _importable(obj)
        if name is None:
            return None
        encoder.names_code = True
        return {"__global__": list(name)}
    cls_name = _importable(type(obj))
    state = _object_state(obj) if cls_name is not None else None
    if state is None:
        return None
    encoder.names_code = True
    number = len(memo)
    memo[id(obj)] = (number, obj)  # keep obj alive so that its id is not reused while saving
    return {"__object__": {"class": list(cls_name), "ref": number,
                           "state": encoder.encode(dict(state), f"{where}.__dict__")}}


# -------------------------------------------------------------------------------- loading
def resolve(node_name, weights_only: bool, fail):
    """The class or function a file names: from the allowlist, or (``weights_only=False`` only)
    by importing it."""
    if not (isinstance(node_name, list) and len(node_name) == 2
            and all(isinstance(p, str) for p in node_name)):
        fail(f"a class reference is malformed: {node_name!r:.80}")
    module, qualname = node_name
    full = f"{module}.{qualname}"
    if full in _SAFE_GLOBALS:
        return _SAFE_GLOBALS[full]
    if weights_only:
        raise WeightsOnlyError(weights_only_message(full))
    try:
        target = sys.modules["__main__"] if module == "__main__" else importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        from .serialization import SerializationError

        raise SerializationError(f"load: the file names {full}, which can't be found ({exc}); "
                                 "import or define it before loading") from None
    return target


def decode_object(node: dict, decoder):
    """Rebuild an ``__object__`` node: ``cls.__new__(cls)``, then ``__setstate__(state)`` (or the
    attributes set). ``decoder`` is serialization's decoder (``decode``, ``fail``,
    ``weights_only``, ``objects``)."""
    spec = node["__object__"]
    if not isinstance(spec, dict) or not isinstance(spec.get("ref"), int):
        decoder.fail("an object entry is malformed")
    cls = resolve(spec.get("class"), decoder.weights_only, decoder.fail)
    if not isinstance(cls, type):
        decoder.fail(f"{cls!r} is not a class")
    obj = cls.__new__(cls)
    decoder.objects[spec["ref"]] = obj  # before the state: the state may refer back to obj
    state = decoder.decode(spec.get("state"))
    if not isinstance(state, dict):
        decoder.fail(f"the state of a {cls.__name__} is not a dict")
    if getattr(cls, "__setstate__", None) is not getattr(object, "__setstate__", None) and \
            hasattr(cls, "__setstate__"):
        obj.__setstate__(state)
    else:
        obj.__dict__.update(state)
    return obj


def decode_reference(node: dict, decoder):
    ref = node["__object_ref__"]
    if ref not in decoder.objects:
        decoder.fail(f"it refers to object {ref!r} before defining it")
    return decoder.objects[ref]


def globals_in(node) -> list[str]:
    """Every class and function name a decoded file's JSON tree refers to (nothing imported)."""
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "__object__" in item and isinstance(item["__object__"], dict):
                found.append(".".join(map(str, item["__object__"].get("class", []))))
            if "__global__" in item:
                found.append(".".join(map(str, item["__global__"])))
            stack.extend(item.values())
    return sorted(set(found))


__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "WeightsOnlyError"]
