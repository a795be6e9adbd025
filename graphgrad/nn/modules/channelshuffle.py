"""PyTorch's ``nn.modules.channelshuffle`` path: ``ChannelShuffle`` (defined in more_pooling.py)."""
from .more_pooling import ChannelShuffle

__all__ = ["ChannelShuffle"]
