"""The layers of ``graphgrad.nn``, one idea per file; everything listed here is re-exported by
``graphgrad.nn``."""
import importlib

from .activation import (ELU, GELU, SELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid,
                         SiLU, Softmax, Softplus, Tanh)
from .container import (Container, ModuleDict, ModuleList, ParameterDict, ParameterList,
                        Sequential)
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from .flatten import Flatten, Unflatten
from .linear import Bilinear, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, CTCLoss,
                   GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                   MarginRankingLoss, MSELoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
                   MultiMarginLoss, NLLLoss, NLLLoss2d, PoissonNLLLoss, SmoothL1Loss,
                   SoftMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss)
from .module import Module
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm,
                            CrossMapLRN2d, LocalResponseNorm, RMSNorm)
from .sparse import Embedding, EmbeddingBag

__all__ = [
    "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "Identity", "Linear", "Bilinear", "Flatten", "Unflatten",
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus",
    "Softmax", "LogSoftmax", "Hardtanh",
    "Dropout", "Dropout1d", "Dropout2d", "AlphaDropout",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "LocalResponseNorm",
    "Embedding", "EmbeddingBag",
    "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
    "BCEWithLogitsLoss", "MultiMarginLoss", "KLDivLoss", "CosineEmbeddingLoss",
    "MarginRankingLoss", "TripletMarginLoss",
]

from .conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,  # noqa: E402
                   ConvTranspose3d)
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,  # noqa: E402
                      ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
                      ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                      ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,  # noqa: E402
                      AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, AvgPool3d, Fold,
                      LPPool1d, LPPool2d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d,
                      MaxUnpool2d, MaxUnpool3d, Unfold)
from .pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: E402
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402

__all__ += [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "LPPool1d", "LPPool2d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "Fold", "Unfold", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
]

from .rnn import (GRU, LSTM, RNN, GRUCell, LSTMCell, PeepholeLSTM, RNNBase, RNNCell,  # noqa: E402
                  RNNCellBase)

__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "PeepholeLSTM", "RNNCellBase", "RNNCell", "LSTMCell",
            "GRUCell"]

from .sync_batchnorm import SyncBatchNorm  # noqa: E402

__all__ += ["SyncBatchNorm"]

from .more_activations import (CELU, GLU, Hardshrink, Hardsigmoid, Hardswish,  # noqa: E402
                               LogSigmoid, Mish, PReLU, RReLU, Softmax2d, Softmin, Softshrink,
                               Softsign, Tanhshrink, Threshold)
from .distance import CosineSimilarity, PairwiseDistance  # noqa: E402
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: E402

__all__ += ["CELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "LogSigmoid", "Mish", "PReLU",
            "RReLU", "Softmax2d", "Softmin", "Softshrink", "Softsign", "Tanhshrink", "Threshold",
            "CosineSimilarity", "PairwiseDistance", "InstanceNorm1d", "InstanceNorm2d",
            "InstanceNorm3d", "RMSNorm", "Dropout3d", "FeatureAlphaDropout", "NLLLoss2d",
            "PoissonNLLLoss", "GaussianNLLLoss", "SoftMarginLoss", "HingeEmbeddingLoss",
            "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss",
            "CTCLoss"]

from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d,  # noqa: E402
                   LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d,
                   LazyConvTranspose3d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d,
                   LazyLinear, LazyModuleMixin, UninitializedBuffer, UninitializedParameter)

__all__ += ["LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
            "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
            "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
            "LazyModuleMixin", "UninitializedParameter", "UninitializedBuffer"]

from .more_pooling import (AdaptiveMaxPool3d, ChannelShuffle, FractionalMaxPool2d,  # noqa: E402
                           FractionalMaxPool3d, LPPool3d)

__all__ += ["AdaptiveMaxPool3d", "ChannelShuffle", "FractionalMaxPool2d", "FractionalMaxPool3d",
            "LPPool3d"]

from .adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: E402

__all__ += ["AdaptiveLogSoftmaxWithLoss", "Container", "CrossMapLRN2d"]

from .attention import MultiheadAttention  # noqa: E402
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: E402
                          TransformerEncoder, TransformerEncoderLayer)

__all__ += ["MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
            "TransformerEncoderLayer", "TransformerDecoderLayer"]

from . import batchnorm, channelshuffle, fold  # noqa: E402,F401  (PyTorch's module paths)
from ._torch_paths import add_torch_paths  # noqa: E402

add_torch_paths(importlib.import_module(__name__))
