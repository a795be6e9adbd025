"""``torch.backends.openmp``: graphgrad has no OpenMP runtime of its own."""


def is_available() -> bool:
    return False
