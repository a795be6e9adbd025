"""Layer 4: ``functional``, ``Module``/``Parameter`` and containers, layers, ``init``, recurrent
layers, ``parallel`` (DistributedDataParallel) and ``utils``."""
from . import functional  # noqa: F401
from . import init  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter  # noqa: F401
from . import utils  # noqa: F401
from . import parallel  # noqa: F401
