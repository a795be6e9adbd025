"""Saving and loading without pickle: ``save``/``load`` for state_dicts and nested containers, and
``save_safetensors``/``load_safetensors`` for the safetensors format.

``save(obj, path)`` writes an ``.npz`` archive: every tensor or array becomes one ``.npy`` entry,
and the structure around them (dicts, lists, tuples, numbers, strings, bools, None) is one JSON
document stored as a byte array. ``load`` reads it back with ``numpy.load(allow_pickle=False)``, so a
file can hold data only: loading never runs code. A damaged, truncated or tampered file raises
``SerializationError`` saying what is wrong. Writes are atomic: a temporary file in the same folder
replaces the target only once it is complete.
"""
from __future__ import annotations

import json
import math
import os
import secrets
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from . import safe_objects
from .autograd.tensor import Tensor
from .backend import dtype as gg_dtype
from .backend import from_np_dtype
from .safe_objects import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals

FORMAT = "graphgrad"
VERSION = 1
VERSION_WITH_OBJECTS = 2  # whole objects (classes named by path): see safe_objects
_META = "__graphgrad__"
_SUPPORTED = {np.dtype(t) for t in (np.float16, np.float32, np.float64, np.int8, np.uint8,
                                    np.int16, np.int32, np.int64, np.bool_)}


class SerializationError(RuntimeError):
    """A file could not be read as a graphgrad (or safetensors) file."""


# ------------------------------------------------------------------------------ save
class _Encoder:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.seen: dict[int, str] = {}  # id(tensor) -> entry name: a shared tensor is stored once
        self.objects: dict[int, tuple] = {}  # whole objects stored (see safe_objects)
        self.names_code = False  # set when a class or function is stored by name

    def array_entry(self, obj, array: np.ndarray) -> str:
        name = self.seen.get(id(obj))
        if name is None:
            if array.dtype not in _SUPPORTED:
                raise TypeError(f"save: arrays of dtype {array.dtype} are not supported")
            name = f"a{len(self.arrays)}"
            self.arrays[name] = np.asarray(array, order="C")  # (ascontiguousarray makes 0-d 1-d)
            self.seen[id(obj)] = name
        return name

    def encode(self, obj, where: str):
        from .nn.parameter import Parameter  # layer 4; imported lazily, only to keep the class

        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, Tensor):
            out = {"__tensor__": self.array_entry(obj, obj._data)}
            if obj.requires_grad:
                out["requires_grad"] = True
            if isinstance(obj, Parameter):
                out["parameter"] = True
            return out
        if isinstance(obj, np.ndarray):
            return {"__ndarray__": self.array_entry(obj, obj)}
        if isinstance(obj, (np.generic,)):
            return {"__scalar__": self.array_entry(obj, np.asarray(obj))}
        if isinstance(obj, gg_dtype):
            return {"__dtype__": obj.name}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, Mapping):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (str, int, float, bool))):
                    raise TypeError(f"save: dict key {k!r} at {where or 'the top level'} has type "
                                    f"{type(k).__name__}; keys must be strings, numbers, bools "
                                    "or None")
                items.append([self.encode(k, where), self.encode(v, f"{where}[{k!r}]")])
            out = {"__dict__": items}
            if isinstance(obj, OrderedDict):
                out["ordered"] = True
            return out
        if isinstance(obj, (set, frozenset)):
            return {"__set__": [self.encode(v, f"{where}{{}}") for v in obj],
                    "frozen": isinstance(obj, frozenset)}
        node = safe_objects.encode_object(obj, self, where)
        if node is not None:
            return node
        raise TypeError(
            f"save: can't store an object of type {type(obj).__name__} at "
            f"{where or 'the top level'}; graphgrad files hold tensors, arrays, numbers, strings, "
            "bools, None, lists, tuples, dicts and sets of them, and objects of classes importable "
            "by name (not lambdas or classes defined inside functions); to share weights, save "
            ".state_dict()")


def temporary_file(path, suffix: str = ".tmp"):
    """Create the temporary file of an atomic write of ``path``: ``.<name>.<random><suffix>`` in
    the same folder (so that ``os.replace`` is a rename), open for writing. Returns ``(fd, tmp)``.

    Its permissions are those of any new file, 0666 less the umask, so the file that replaces
    ``path`` gets them too (``tempfile.mkstemp`` would make it 0600 whatever the umask)."""
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    base = os.path.basename(os.fspath(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{base}.{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {path}")


def atomic_write(path, write) -> None:
    """Write ``path`` through ``write(binary file)`` atomically: a reader sees the old file or the
    new one, never half of one. The data reaches the disk (fsync) before the rename; on any
    failure (a full disk, an interrupt) the temporary file is removed and ``path`` is untouched.
    ``path`` may also be an open binary file object, written directly."""
    if hasattr(path, "write"):
        write(path)
        return
    path = os.fspath(path)
    fd, tmp = temporary_file(path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save(obj, f, **kwargs) -> None:
    """Save ``obj`` (a state_dict, or nested dicts/lists/tuples of tensors, arrays, numbers,
    strings, bools and None) to ``f`` (a path or a binary file object), without pickle.

    Tensors shared between places are stored once and come back shared. Parameters come back as
    ``Parameter``; ``requires_grad`` is kept. PyTorch's ``pickle_module``-style options are
    accepted and ignored."""
    enc = _Encoder()
    root = enc.encode(obj, "")
    # files that hold whole objects need a reader that knows them (and the weights_only rules)
    version = VERSION_WITH_OBJECTS if enc.names_code else VERSION
    meta = {"format": FORMAT, "version": version, "root": root}
    blob = np.frombuffer(json.dumps(meta, allow_nan=False).encode("utf-8"), dtype=np.uint8)
    entries = dict(enc.arrays)
    entries[_META] = blob
    atomic_write(f, lambda fh: np.savez(fh, **entries))


# ------------------------------------------------------------------------------ load
class _Decoder:
    def __init__(self, archive, source: str, weights_only: bool = True):
        self.archive = archive
        self.source = source
        self.cache: dict[str, object] = {}
        self.weights_only = weights_only
        self.objects: dict[int, object] = {}  # whole objects rebuilt so far, by number

    def fail(self, why: str):
        _damaged(self.source, why)

    def array(self, name, meta: bool = False) -> np.ndarray:
        if not isinstance(name, str) or (name == _META) != meta or name not in self.archive.files:
            self.fail(f"it refers to an array {name!r} that the file does not contain")
        try:
            array = self.archive[name]
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, zlib.error) as exc:
            self.fail(f"array {name!r} is damaged ({_numpy_reason(exc)})")
        if array.dtype not in _SUPPORTED:
            self.fail(f"array {name!r} has unsupported dtype {array.dtype}")
        return array

    def decode(self, node):
        from .nn.parameter import Parameter

        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or len(node) == 0:
            self.fail(f"unexpected entry {node!r:.80}")
        if "__tensor__" in node:
            name = node["__tensor__"]
            if name in self.cache:
                return self.cache[name]
            array = self.array(name)
            if node.get("parameter"):
                t = Parameter(Tensor._make(array), bool(node.get("requires_grad", True)))
            else:
                t = Tensor._make(array)
                if node.get("requires_grad"):
                    t.requires_grad = True
            self.cache[name] = t
            return t
        if "__ndarray__" in node:
            return self.array(node["__ndarray__"])
        if "__scalar__" in node:
            array = self.array(node["__scalar__"])
            if array.shape != ():
                self.fail("a scalar entry holds an array")
            return array[()]
        if "__float__" in node:
            text = node["__float__"]
            if text not in ("inf", "-inf", "nan"):
                self.fail(f"bad float {text!r:.40}")
            return float(text)
        if "__dtype__" in node:
            try:
                return from_np_dtype(np.dtype(node["__dtype__"]))
            except TypeError:
                self.fail(f"unknown dtype {node['__dtype__']!r:.40}")
        if "__tuple__" in node:
            if not isinstance(node["__tuple__"], list):
                self.fail("a tuple entry is not a list")
            return tuple(self.decode(v) for v in node["__tuple__"])
        if "__set__" in node:
            if not isinstance(node["__set__"], list):
                self.fail("a set entry is not a list")
            items = [self.decode(v) for v in node["__set__"]]
            return frozenset(items) if node.get("frozen") else set(items)
        if "__object__" in node or "__object_ref__" in node or "__global__" in node:
            if "__object_ref__" in node:
                return safe_objects.decode_reference(node, self)
            if "__global__" in node:
                return safe_objects.resolve(node["__global__"], self.weights_only, self.fail)
            return safe_objects.decode_object(node, self)
        if "__dict__" in node:
            items = node["__dict__"]
            out = OrderedDict() if node.get("ordered") else {}
            if not isinstance(items, list):
                self.fail("a dict entry is not a list of pairs")
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    self.fail("a dict entry is not a list of pairs")
                key = self.decode(pair[0])
                if not (key is None or isinstance(key, (str, int, float, bool))):
                    self.fail(f"a dict key has type {type(key).__name__}")
                out[key] = self.decode(pair[1])
            return out
        self.fail(f"unknown entry with keys {sorted(node)[:5]}")


def _damaged(source: str, why: str):
    raise SerializationError(f"load: {source} is damaged or is not a graphgrad file: {why}")


def _archive_reason(f, exc: Exception) -> str:
    """Why ``numpy.load`` could not open ``f`` as an archive, from the file's first bytes (numpy's
    own message for an unknown format talks about pickles, which graphgrad never loads)."""
    try:
        if hasattr(f, "read"):
            at = f.tell()
            f.seek(0)
            head = f.read(8)
            f.seek(at)
        else:
            with open(f, "rb") as fh:
                head = fh.read(8)
    except (OSError, ValueError):
        head = None
    if head == b"":
        return "the file is empty"
    if head is not None and head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return f"its zip archive is truncated or corrupted ({_numpy_reason(exc)})"
    if head is not None and head.startswith(b"\x93NUMPY"):
        return f"it is a truncated .npy array, not an .npz archive ({_numpy_reason(exc)})"
    if head is not None:
        return f"it is not an .npz archive (it begins with the bytes {head.hex(' ')})"
    return f"it could not be read as an .npz archive ({_numpy_reason(exc)})"


def _numpy_reason(exc: Exception) -> str:
    """numpy's message, unless it is the one that suggests loading pickles."""
    text = str(exc)
    if "pickle" in text:
        return "it holds pickled Python objects, which graphgrad never loads"
    return text


def load(f, map_location=None, weights_only: bool | None = True, **kwargs):
    """Load an object saved by ``save`` from ``f`` (a path or a binary file object).

    Only arrays and JSON are read (``numpy.load(allow_pickle=False)``); a damaged or tampered file
    raises ``SerializationError`` naming the file and saying that it is damaged, and why (a missing
    file, a folder or a file without read permission raise the usual ``OSError``). A file holding
    whole objects (``save(model, f)``) names their classes; rebuilding them runs those classes'
    code, so by default (``weights_only=True``, as in PyTorch) that raises
    ``pickle.UnpicklingError`` unless the classes were allowlisted with ``add_safe_globals`` /
    ``safe_globals``; ``weights_only=False`` trusts the file. ``map_location``
    is accepted for PyTorch compatibility (everything is on the CPU)."""
    source = repr(os.fspath(f)) if not hasattr(f, "read") else "the file object"
    try:
        archive = np.load(f, allow_pickle=False)
    except OSError as exc:
        if exc.errno is not None:  # missing, a folder, no permission: the file is not the problem
            raise
        _damaged(source, _archive_reason(f, exc))
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        _damaged(source, _archive_reason(f, exc))
    if not isinstance(archive, np.lib.npyio.NpzFile):
        _damaged(source, "it is a single .npy array, not an .npz archive")
    with archive:
        dec = _Decoder(archive, source, weights_only=weights_only is not False)
        if _META not in archive.files:
            dec.fail("it has no graphgrad metadata entry (was it written by graphgrad.save?)")
        raw = dec.array(_META, meta=True)
        try:
            meta = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            dec.fail(f"its metadata is not valid JSON ({exc})")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            dec.fail("its metadata does not name the graphgrad format")
        if not isinstance(meta.get("version"), int) or meta["version"] > VERSION_WITH_OBJECTS:
            dec.fail(f"format version {meta.get('version')!r} is newer than this graphgrad "
                     f"reads ({VERSION_WITH_OBJECTS})")
        try:
            return dec.decode(meta.get("root"))
        except RecursionError:
            dec.fail("its structure is nested too deeply")


# ------------------------------------------------------------------------ safetensors
_ST_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "U8": "u1", "I16": "<i2",
              "I32": "<i4", "I64": "<i8", "BOOL": "?", "U16": "<u2", "U32": "<u4", "U64": "<u8",
              "BF16": "<u2"}
_NP_TO_ST = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32",
             np.dtype(np.float64): "F64", np.dtype(np.int8): "I8", np.dtype(np.uint8): "U8",
             np.dtype(np.int16): "I16", np.dtype(np.int32): "I32", np.dtype(np.int64): "I64",
             np.dtype(np.bool_): "BOOL"}
_MAX_HEADER = 100 * 1024 * 1024


def save_safetensors(tensors: Mapping, path, metadata: dict | None = None) -> None:
    """Write ``tensors`` (a dict from names to tensors or arrays, e.g. ``model.state_dict()``) in
    the safetensors format: an 8-byte little-endian header length, a JSON header giving each
    tensor's dtype, shape and byte range, then the raw little-endian bytes. ``metadata``: extra
    string-to-string information stored in the header. Written atomically."""
    if not isinstance(tensors, Mapping):
        raise TypeError(f"save_safetensors: expected a dict of tensors, got "
                        f"{type(tensors).__name__}")
    header: dict = {}
    if metadata is not None:
        if not isinstance(metadata, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("save_safetensors: metadata must be a dict of str to str")
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"save_safetensors: tensor names must be strings, got {name!r}")
        if name == "__metadata__":
            raise ValueError("save_safetensors: '__metadata__' is reserved and can't name a tensor")
        if isinstance(value, Tensor):
            array = value._data
        elif isinstance(value, np.ndarray):
            array = value
        else:
            raise TypeError(f"save_safetensors: {name!r} is a {type(value).__name__}, expected a "
                            "Tensor or a NumPy array")
        code = _NP_TO_ST.get(array.dtype)
        if code is None:
            raise TypeError(f"save_safetensors: {name!r} has unsupported dtype {array.dtype}")
        data = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C").tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned, as the spec advises

    def write(fh):
        fh.write(len(text).to_bytes(8, "little"))
        fh.write(text)
        for c in chunks:
            fh.write(c)

    atomic_write(path, write)


def _st_fail(source: str, why: str):
    raise SerializationError(f"load_safetensors: {source} is not a valid safetensors file: {why}")


def load_safetensors(path) -> "OrderedDict[str, Tensor]":
    """Read a safetensors file into an ordered dict of tensors (in file order), ready for
    ``model.load_state_dict``. BF16 becomes float32 and unsigned 16/32/64-bit integers int64 (NumPy
    and graphgrad have no such dtypes). The header is checked before any data is used."""
    source = repr(os.fspath(path)) if not hasattr(path, "read") else "the file object"
    if hasattr(path, "read"):
        buf = path.read()
    else:
        with open(path, "rb") as fh:
            buf = fh.read()
    return _parse_safetensors(buf, source)[0]


def load_safetensors_metadata(path) -> dict | None:
    """The ``__metadata__`` dict of a safetensors file's header (or None)."""
    with open(path, "rb") as fh:
        buf = fh.read()
    return _parse_safetensors(buf, repr(os.fspath(path)))[1]


def _parse_safetensors(buf: bytes, source: str):
    if len(buf) < 8:
        _st_fail(source, f"it is {len(buf)} bytes long, shorter than the 8-byte header length")
    n = int.from_bytes(buf[:8], "little")
    if n > _MAX_HEADER or 8 + n > len(buf):
        _st_fail(source, f"the header length {n} exceeds the file size {len(buf)}")
    try:
        header = json.loads(buf[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        _st_fail(source, f"the header is not valid JSON ({exc})")
    if not isinstance(header, dict):
        _st_fail(source, "the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        _st_fail(source, "__metadata__ must map strings to strings")
    data = memoryview(buf)[8 + n:]
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) - {"dtype", "shape", "data_offsets"} or \
                len(info) != 3:
            _st_fail(source, f"entry {name!r} must have exactly dtype, shape and data_offsets")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _ST_DTYPES:
            _st_fail(source, f"entry {name!r} has unsupported dtype {code!r}")
        if not isinstance(shape, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
            _st_fail(source, f"entry {name!r} has an invalid shape {shape!r:.60}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(
                isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
            _st_fail(source, f"entry {name!r} has invalid data_offsets {offsets!r:.60}")
        begin, end = offsets
        itemsize = np.dtype(_ST_DTYPES[code]).itemsize
        if not 0 <= begin <= end <= len(data):
            _st_fail(source, f"entry {name!r} has data_offsets {offsets} outside the "
                             f"{len(data)} bytes of data")
        if end - begin != math.prod(shape) * itemsize:
            _st_fail(source, f"entry {name!r} has {end - begin} bytes for shape {shape} of "
                             f"{code} ({math.prod(shape) * itemsize} expected)")
        entries.append((begin, end, name, code, shape))
    entries.sort(key=lambda e: (e[0], e[1]))
    position = 0
    for begin, end, name, _, _ in entries:  # the spec: byte ranges tile the buffer exactly
        if begin != position:
            _st_fail(source, f"entry {name!r} starts at byte {begin}, expected {position} (the "
                             "data ranges overlap or leave gaps)")
        position = end
    if position != len(data):
        _st_fail(source, f"the data ranges cover {position} bytes but the file holds {len(data)}")
    out: OrderedDict = OrderedDict()
    for begin, end, name, code, shape in entries:
        array = np.frombuffer(data[begin:end], dtype=_ST_DTYPES[code]).reshape(shape)
        if code == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        elif code in ("U16", "U32", "U64"):
            array = array.astype(np.int64)
        else:
            array = array.astype(array.dtype.newbyteorder("="), copy=True)
        out[name] = Tensor._make(np.asarray(array, order="C"))
    return out, metadata


def get_unsafe_globals_in_checkpoint(f) -> list[str]:
    """The classes and functions a file names that are not allowlisted (read without loading)."""
    with np.load(f, allow_pickle=False) as archive:
        meta = json.loads(archive[_META].tobytes().decode("utf-8"))
    allowed = safe_objects.allowed_names()
    return [name for name in safe_objects.globals_in(meta.get("root")) if name not in allowed]


__all__ = ["save", "load", "save_safetensors", "load_safetensors", "SerializationError",
           "add_safe_globals", "clear_safe_globals", "get_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint"]
