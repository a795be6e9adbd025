"""``torch.backends.mps``: Apple's Metal backend, not available in graphgrad."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
