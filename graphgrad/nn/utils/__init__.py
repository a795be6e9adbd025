"""``nn.utils``: gradient clipping, parameter/vector conversion and spectral normalisation, as
``torch.nn.utils``."""
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from . import rnn  # noqa: F401  (nn.utils.rnn: PackedSequence, pack/pad helpers)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters", "spectral_norm", "remove_spectral_norm"]
