"""Layer 6: datasets, samplers and the ``DataLoader``, with PyTorch's names and semantics."""
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from . import distributed  # noqa: F401
from .distributed import DistributedEvalSampler, DistributedSampler
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                      TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)
from .worker import WorkerInfo, get_worker_info

__all__ = ["DataLoader", "Dataset", "IterableDataset", "TensorDataset", "StackDataset",
           "ConcatDataset", "ChainDataset", "Subset", "random_split", "default_collate",
           "default_convert", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "WorkerInfo",
           "get_worker_info", "DistributedSampler", "DistributedEvalSampler"]
