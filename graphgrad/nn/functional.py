"""``graphgrad.nn.functional``: the public functional API (activations, losses, convolution, ...),
with PyTorch's signatures. The differentiable primitives behind it live in ``graphgrad.ops``."""
# Each ops module that has functional entry points adds one import line below.
from ..ops.activation import (celu, celu_, elu, elu_, gelu, hardtanh, hardtanh_,  # noqa: F401
                              leaky_relu, leaky_relu_, log_softmax, logsigmoid, relu, relu6, selu,
                              selu_, silu, softmax, softmin, softplus, softsign)
from ..ops.elementwise import relu_, sigmoid, tanh  # noqa: F401
from ..ops.norm import (batch_norm, embedding, embedding_bag, group_norm,  # noqa: F401
                        instance_norm, layer_norm, local_response_norm)
