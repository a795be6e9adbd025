"""Sequence classification of frames (the lectures' video example): one small CNN applied to every
frame, a recurrent layer over the per-frame features, a classifier on the last state. The CNN keeps
spatial layout (flatten, not global pooling) so the RNN can see where things are, and so how they
move."""
from __future__ import annotations

from .. import nn
from .charrnn import recurrent_layer


class CNNRNN(nn.Module):
    """``CNNRNN(num_classes, in_channels=1, frame_size=36, channels=(16, 32), feature_dim=128,
    hidden_size=128, cell='gru')``.

    ``forward(clips (B, T, C, H, W))`` -> logits ``(B, num_classes)``."""

    def __init__(self, num_classes: int, in_channels: int = 1, frame_size: int = 36,
                 channels=(16, 32), feature_dim: int = 128, hidden_size: int = 128,
                 cell: str = "gru", dropout: float = 0.0):
        super().__init__()
        layers, c, size = [], in_channels, frame_size
        for out in channels:
            layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c, size = out, size // 2
        layers += [nn.Flatten(), nn.Linear(c * size * size, feature_dim), nn.ReLU()]
        self.frame_cnn = nn.Sequential(*layers)
        self.in_channels, self.frame_size = in_channels, frame_size
        self.rnn = recurrent_layer(cell, feature_dim, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, clips):
        if clips.ndim != 5 or clips.shape[2] != self.in_channels or \
                clips.shape[3] != self.frame_size or clips.shape[4] != self.frame_size:
            raise ValueError(f"CNNRNN: expected clips (B, T, {self.in_channels}, "
                             f"{self.frame_size}, {self.frame_size}), got {tuple(clips.shape)}")
        b, t = clips.shape[0], clips.shape[1]
        frames = clips.reshape(b * t, *clips.shape[2:])
        features = self.frame_cnn(frames).reshape(b, t, -1)
        out, _ = self.rnn(features)
        return self.fc(self.dropout(out[:, -1]))
