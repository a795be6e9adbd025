"""Layer 8: ``graphgrad.onnx.export`` writes a model as ONNX, for ONNX Runtime and other runtimes.

It traces the model (``trace``: every op applied in one forward pass, with its options and the
module that applied it), converts each op to ONNX nodes (``convert_*``; ``graph`` holds the builder
and the registry) and writes the file with the ``onnx`` package, an optional dependency
(``pip install graphgrad[onnx]``) imported only when ``export`` runs.
"""
from .export import export
from .trace import ExportError

__all__ = ["export", "ExportError"]
