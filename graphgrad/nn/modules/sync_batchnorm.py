"""``SyncBatchNorm``: batch normalisation whose training statistics are taken over the whole batch
of every rank, as ``torch.nn.SyncBatchNorm``.

The mean and variance are exact two-pass statistics over all ranks' samples: one allreduce of the
per-channel sums (and one of the sample counts) gives the mean, a second allreduce of the squared
deviations from it gives the (biased) variance. Both allreduces are ``graphgrad.distributed.nn``'s
differentiable ones, so backward is derived by autograd and exchanges the gradient terms of the
statistics between ranks as PyTorch's hand-written backward does. With one rank, in eval mode, or
outside a process group it is ``BatchNorm``.
"""
from __future__ import annotations

from ... import distributed as dist
from ...autograd import grad_mode
from ...autograd.tensor import Tensor
from ...distributed.nn.functional import all_reduce
from ...ops.creation import tensor
from ..parameter import Parameter
from .normalization import _BatchNorm


def sync_batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                    weight: Tensor | None, bias: Tensor | None, momentum: float, eps: float,
                    group=None) -> Tensor:
    """Batch normalisation of ``input`` ``(N, C, *)`` with statistics over every rank's batch;
    updates ``running_mean``/``running_var`` (unbiased, over the global count) in place."""
    c = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    pshape = (1, c) + (1,) * (input.ndim - 2)
    count = tensor([input.numel() // c])
    dist.all_reduce(count, group=group)
    n = int(count.item())
    if n <= 1:
        raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when training, got "
                         f"{n} over all ranks (this rank's input has shape {tuple(input.shape)})")
    mean = all_reduce(input.sum(dim=axes), group=group) / n
    centred = input - mean.reshape(pshape)
    var = all_reduce((centred * centred).sum(dim=axes), group=group) / n
    out = centred * (var + eps).rsqrt().reshape(pshape)
    if weight is not None:
        out = out * weight.reshape(pshape)
    if bias is not None:
        out = out + bias.reshape(pshape)
    with grad_mode.no_grad():
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
        if running_var is not None:
            running_var.mul_(1 - momentum).add_(var.detach() * (momentum * n / (n - 1)))
    return out


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation of ``(N, C, *)`` input whose training statistics cover the batches of all
    ranks (same arguments as ``BatchNorm2d`` plus ``process_group``, which must be None or the
    default group). Convert a model's batch-norm layers with ``convert_sync_batchnorm``."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        need_sync = (self.training and dist.is_initialized()
                     and dist.get_world_size(self.process_group) > 1)
        if not need_sync:
            return super().forward(input)
        self._check_input(input)
        factor = self._count_batch_and_factor()
        track = self.track_running_stats
        return sync_batch_norm(input, self.running_mean if track else None,
                               self.running_var if track else None, self.weight, self.bias, factor,
                               self.eps, self.process_group)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every batch-norm layer in it replaced by a ``SyncBatchNorm`` that shares
        its parameters and running statistics (a batch-norm ``module`` itself is returned
        converted)."""
        output = module
        if isinstance(module, _BatchNorm):
            output = cls(module.num_features, module.eps, module.momentum, module.affine,
                         module.track_running_stats, process_group,
                         bias=module.affine and module.bias is not None)
            if module.affine:
                output.weight = module.weight
                output.bias = module.bias if isinstance(module.bias, Parameter) else None
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output
