"""``graphgrad.version``: as ``torch.version``, ``cuda`` and ``hip`` are None (no GPU build)."""
__version__ = "0.1.0"
cuda = None
hip = None
git_version = None
debug = False
