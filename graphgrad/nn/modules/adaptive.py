"""``AdaptiveLogSoftmaxWithLoss`` (Grave et al. 2017, "Efficient softmax approximation for GPUs"):
frequent classes get a full softmax in the head, rare ones sit in tail clusters reached through
one head entry each, with smaller projections. PyTorch's arguments, submodules (``head``,
``tail.i.0``, ``tail.i.1``) and outputs."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ...autograd.tensor import Tensor
from ...backend import check_device
from ...ops.joining import cat
from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """``forward(input (N, in_features), target (N,))`` returns ``(output, loss)``: the
    log-probability of each target ``(N,)`` and the mean negative log-likelihood. ``cutoffs``
    (increasing, in [1, n_classes - 1]) split the classes into the head's shortlist and the
    clusters; cluster i projects to ``in_features // div_value ** (i + 1)`` features.
    ``log_prob(input)`` gives all ``(N, n_classes)`` log-probabilities, ``predict(input)`` the
    likeliest class."""

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None):
        check_device(device, type(self).__name__)
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in "
                             "an increasing order, where each value is between 1 and "
                             "n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, dtype=dtype),
                                        Linear(hidden, size, bias=False, dtype=dtype)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        if target_.dim() == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs "
                                   f"with size {list(input_.shape)}")
        elif target_.dim() == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs "
                                   f"with size {list(input_.shape)}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target_.dim() > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = (target_ if batched else target_.unsqueeze(0)).numpy().astype(np.int64)
        if target.size and (target.min() < 0 or target.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values "
                               f"in range [{target.min()}, {target.max()}] were found. ")
        head_column = np.where(target < self.shortlist_size, target, 0)
        output = None
        for i in range(self.n_clusters):  # the samples whose target lies in tail cluster i
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            rows = np.nonzero((target >= low) & (target < high))[0]
            if rows.size == 0:
                continue
            head_column[rows] = self.shortlist_size + i
            index = Tensor._make(rows.astype(np.int64))
            logprob = F.log_softmax(self.tail[i](input.index_select(0, index)), dim=1)
            local = logprob.gather(1, Tensor._make((target[rows] - low)[:, None]))[:, 0]
            if output is None:
                output = Tensor._make(np.zeros(target.shape[0], dtype=input._data.dtype))
            output = output.index_add(0, index, local)
        head_logprob = F.log_softmax(self.head(input), dim=1)
        head_part = head_logprob.gather(1, Tensor._make(head_column[:, None]))[:, 0]
        output = head_part if output is None else output + head_part
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of every class, ``(N, n_classes)`` (or ``(n_classes,)``)."""
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        head_logprob = F.log_softmax(self.head(x), dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = F.log_softmax(self.tail[i](x), dim=1)
            parts.append(cluster + head_logprob[:, self.shortlist_size + i:
                                                self.shortlist_size + i + 1])
        out = cat(parts, 1)
        return out if batched else out.squeeze(0)

    def predict(self, input: Tensor) -> Tensor:
        """The likeliest class of each sample, ``(N,)`` int64 (or a scalar)."""
        return self.log_prob(input).argmax(-1)
