"""``nn.parallel``: ``DistributedDataParallel`` (data-parallel training over MPI ranks), and
``DataParallel``/``data_parallel`` for PyTorch programs that reference them (one device here)."""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel", "DataParallel", "data_parallel"]
