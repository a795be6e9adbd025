"""Layer 4: ``functional``, ``Module``/``Parameter`` and containers, layers, ``init``, recurrent
layers and ``utils``."""
from . import functional  # noqa: F401
from . import utils  # noqa: F401
