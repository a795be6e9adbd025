"""``graphgrad.nn.functional``: the public functional API (activations, losses, convolution, ...),
with PyTorch's signatures. The differentiable primitives behind it live in ``graphgrad.ops``."""
# Each ops module that has functional entry points adds one import line below.
