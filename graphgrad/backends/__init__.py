"""``graphgrad.backends``: the switches PyTorch keeps under ``torch.backends``, as plain module
attributes that programs may read and set (``torch.backends.cudnn.benchmark = True``). graphgrad
computes on the CPU with NumPy, so they record a choice and change nothing: cuDNN and MPS are
reported unavailable, as on a CPU-only PyTorch."""
from . import cpu, cuda, cudnn, mkl, mps, openmp  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mps", "openmp"]
