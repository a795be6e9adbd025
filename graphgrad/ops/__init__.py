"""Layer 3: the differentiable primitives, one ``ArrayFunction`` each, and the public functions
built on them. Importing this package also attaches the tensor methods (``x.exp()``, ``x + y``).

Each module lists its public functions in ``__all__``; they are re-exported here and at the top
level of ``graphgrad``. Add a new ops module with one ``from .module import *`` line below.
"""
from .activation import *  # noqa: F401,F403
from .arithmetic import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .binary_math import *  # noqa: F401,F403
from .blas import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .copying import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .diagonal import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .einsum import *  # noqa: F401,F403
from .index_extra import *  # noqa: F401,F403
from .inplace_forms import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .joining import *  # noqa: F401,F403
from .legacy_types import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .linalg_ops import *  # noqa: F401,F403
from .multihead_attention import *  # noqa: F401,F403
from .nn_misc import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .pool_variants import *  # noqa: F401,F403
from .random_fill import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .runtime import *  # noqa: F401,F403
from .scan import *  # noqa: F401,F403
from .scatter_gather import *  # noqa: F401,F403
from .selection import *  # noqa: F401,F403
from .shape_extra import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403
from .stochastic import *  # noqa: F401,F403
from .tensor_api import *  # noqa: F401,F403
from .trig import *  # noqa: F401,F403
from .upsample import *  # noqa: F401,F403
from .views import *  # noqa: F401,F403

# What ``from graphgrad.ops import *`` (and so ``import graphgrad``) exports: the functions above,
# not the module names the imports bound here (``graphgrad.conv`` would be no PyTorch name).
import types as _types  # noqa: E402

__all__ = sorted(name for name, value in globals().items()
                 if not name.startswith("_") and not isinstance(value, _types.ModuleType))
