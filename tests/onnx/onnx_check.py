"""Export a model, check the file with onnx.checker, run it in ONNX Runtime and compare with
graphgrad: the helper of every test in tests/onnx."""
import io

import numpy as np

import graphgrad


def session(proto_or_bytes):
    import onnxruntime as ort

    data = proto_or_bytes if isinstance(proto_or_bytes, bytes) else proto_or_bytes.SerializeToString()
    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initialisers would hide real failures
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def like(example, size: int, axis: int, rng) -> np.ndarray:
    """A fresh input like ``example`` with ``size`` along ``axis``: normal floats, or integers in
    the example's range."""
    a = example.numpy()
    shape = list(a.shape)
    shape[axis] = size
    if a.dtype.kind == "f":
        return rng.standard_normal(shape).astype(a.dtype)
    return rng.integers(a.min(), a.max() + 1, size=shape).astype(a.dtype)


def flat(tree) -> list:
    """The tensors of a nest of tuples and lists, in order."""
    if isinstance(tree, (tuple, list)):
        return [t for item in tree for t in flat(item)]
    return [tree]


def rebuild(tree, leaves):
    """``tree`` with its tensors replaced, in order, by the items of the iterator ``leaves``."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(rebuild(item, leaves) for item in tree)
    return next(leaves)


def export_and_compare(model, example, sizes=(2, 5), axis=0, dynamic=True, atol=1e-4, **options):
    """Export ``model`` on ``example`` (a tensor or a tuple, nested tuples allowed) with ``axis``
    of every input tensor dynamic, check it, then for each size in ``sizes`` feed ONNX Runtime and
    graphgrad the same fresh inputs and compare every output (absolute and relative tolerance
    ``atol``). Returns the ModelProto."""
    import onnx

    examples = example if isinstance(example, tuple) else (example,)
    leaves = flat(examples)
    names = [f"x{k}" for k in range(len(leaves))]
    axes = {name: [axis] for name in names} if dynamic else None
    buf = io.BytesIO()
    model.eval()
    proto = graphgrad.onnx.export(model, examples, buf, input_names=names, dynamic_axes=axes,
                                  **options)
    data = buf.getvalue()
    onnx.checker.check_model(data, full_check=True)  # with shape inference
    assert len(onnx.load_from_string(data).graph.node) == len(proto.graph.node)
    sess = session(data)
    rng = np.random.default_rng(0)
    for size in sizes if dynamic else (None,):
        arrays = [e.numpy() if size is None else like(e, size, axis, rng) for e in leaves]
        with graphgrad.no_grad():
            expected = flat(model(*rebuild(examples, (graphgrad.tensor(a) for a in arrays))))
        got = sess.run(None, dict(zip(names, arrays)))
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e.numpy(), rtol=atol, atol=atol)
    return proto
