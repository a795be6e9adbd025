"""``graphgrad export RUN_DIR --onnx FILE``: a trained classifier run as an ONNX model."""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from .registry import RecipeError
from .runs import _load_trained


def export_run(run_dir_path: str, onnx_path: str, opset_version: int | None = None) -> str:
    """Write the trained model of a classifier run (the one ``graphgrad eval`` and ``predict`` load)
    to ``onnx_path``: input ``input`` ``(batch, C, H, W)`` float32, preprocessed as the run's test
    images are; output ``logits`` ``(batch, classes)``; the batch axis dynamic. Returns a one-line
    description of what was written."""
    from ..onnx import ExportError, export

    _, config, model, data = _load_trained(run_dir_path, command="export")
    example = Tensor._make(np.stack([np.asarray(data.test[i][0]) for i in range(2)]))
    try:
        export(model, (example,), onnx_path, input_names=["input"], output_names=["logits"],
               dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
               opset_version=opset_version)
    except (ExportError, ImportError) as exc:
        raise RecipeError(f"export: {exc}") from None
    shape = ", ".join(str(s) for s in data.input_size)
    steps = getattr(data.test.transform, "transforms", [data.test.transform])
    return (f"wrote {onnx_path}: {config['recipe']} model; input 'input' (batch, {shape}) float32, "
            f"images prepared by {' then '.join(map(repr, steps))}; output 'logits' (batch, "
            f"{len(data.classes)}) for classes {', '.join(map(str, data.classes))}")
