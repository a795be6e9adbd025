"""``graphgrad.nn.functional``: the public functional API (activations, losses, convolution, ...),
with PyTorch's signatures. The differentiable primitives behind it live in ``graphgrad.ops``."""
# Each ops module that has functional entry points adds one import line below.
from ..ops.activation import (celu, celu_, elu, elu_, gelu, glu, hardshrink,  # noqa: F401
                              hardsigmoid, hardswish, hardtanh, hardtanh_, leaky_relu, leaky_relu_,
                              log_softmax, logsigmoid, mish, prelu, relu, relu6, selu, selu_, silu,
                              softmax, softmin, softplus, softshrink, softsign, tanhshrink,
                              threshold, threshold_)
from ..ops.elementwise import relu_, sigmoid, tanh  # noqa: F401
from ..ops.norm import (batch_norm, embedding, embedding_bag, group_norm,  # noqa: F401
                        instance_norm, layer_norm, local_response_norm)
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                        cosine_embedding_loss, cross_entropy, hinge_embedding_loss, huber_loss,
                        kl_div, l1_loss, margin_ranking_loss, mse_loss, multi_margin_loss, nll_loss,
                        poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss)
from ..ops.nn_misc import (bilinear, cosine_similarity, dropout, dropout1d, dropout2d,  # noqa: F401
                           dropout3d, linear, normalize, one_hot, pad, pairwise_distance, pdist)
from ..ops.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,  # noqa: F401
                        conv_transpose3d)
from ..ops.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,  # noqa: F401
                        adaptive_max_pool1d, adaptive_max_pool2d, avg_pool1d, avg_pool2d,
                        avg_pool3d, lp_pool1d, lp_pool2d, max_pool1d, max_pool2d, max_pool3d,
                        max_unpool1d, max_unpool2d, max_unpool3d)
from ..ops.upsample import (channel_shuffle, fold, interpolate, pixel_shuffle,  # noqa: F401
                            pixel_unshuffle, unfold, upsample, upsample_bilinear,
                            upsample_nearest)
from ..ops.upsample import channel_shuffle as native_channel_shuffle  # noqa: F401,E402
from ..ops.attention import scaled_dot_product_attention  # noqa: F401
from ..ops.multihead_attention import multi_head_attention_forward  # noqa: F401
from ..ops.stochastic import (alpha_dropout, feature_alpha_dropout, gumbel_softmax,  # noqa: F401
                              rrelu, rrelu_)
from ..ops.rms_norm import rms_norm  # noqa: F401
from ..ops.more_losses import (gaussian_nll_loss, multilabel_margin_loss,  # noqa: F401
                               multilabel_soft_margin_loss, triplet_margin_with_distance_loss)
from ..ops.ctc import ctc_loss  # noqa: F401
from ..ops.grid_sample import affine_grid, grid_sample  # noqa: F401
from ..ops.pool_variants import (adaptive_max_pool1d_with_indices,  # noqa: F401
                                 adaptive_max_pool2d_with_indices, adaptive_max_pool3d,
                                 adaptive_max_pool3d_with_indices, fractional_max_pool2d,
                                 fractional_max_pool2d_with_indices, fractional_max_pool3d,
                                 fractional_max_pool3d_with_indices, lp_pool3d,
                                 max_pool1d_with_indices, max_pool2d_with_indices,
                                 max_pool3d_with_indices)
