"""``torch.backends.mkl``: graphgrad does not use Intel MKL (NumPy's BLAS does the work)."""


def is_available() -> bool:
    return False
