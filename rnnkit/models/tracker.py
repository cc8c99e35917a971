"""Where will the ball go next: many-to-many over the frames of a clip.  At every frame the model
says where the object is and where it will be at each of the next K frames, from the frames
seen so far.

    m_t, s_t = CNN(frame_t)                     the regions of its feature map; its summary vector
    v_t = [s_t; keypoints(m_t)]                 keypoints: each feature channel's expected (x, y)
                                                (spatial soft-argmax, Levine et al. 2016)
    h_t = RNN(W v_t, h_(t-1))                   one direction: step t has seen frames 1..t only
    p_t = A h_t + a                             where the object is now
    p_(t+k) = p_t + D_k h_t + d_k, k = 1..K     where it will be: displacements from p_t

Positions are in ``[-1, 1]`` across the frame (x to the right, y down; ``rnnkit.data.positions``
maps pixels to them).  Trained on the squared error of every known position: the present one
and each of the K ahead, at every frame.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.cells import resolve
from rnnkit.data.clips import pad_clips
from rnnkit.devices import device_of
from rnnkit.layers import Recurrent, VectorInput
from rnnkit.layers.images import ImageEncoder, encode_frames, keypoints
from rnnkit.models.modes import evaluating


class Tracker(nn.Module):
    def __init__(self, horizon: int, image_size: tuple[int, int] = (64, 64), image_channels: int = 1,
                 embedding_dim: int = 128, hidden_size: int = 128, num_layers: int = 1, cell: str = "lstm",
                 dropout: float = 0.0, cnn_channels: tuple[int, ...] = (32, 64, 128), **rnn_options):
        """``horizon``: K, the positions ahead; ``image_size`` ``(width, height)`` and
        ``image_channels`` (1 grey, 3 colour): the frames it reads, as ``rnnkit.data.clips``
        prepares them; ``cnn_channels``: each CNN block's channels; ``embedding_dim``: the size
        each frame's features are projected to; ``rnn_options`` go to the recurrent layers."""
        super().__init__()
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1 position ahead, got {horizon}")
        cell, rnn_options = resolve(cell, rnn_options)
        width, height = image_size
        self.config = dict(horizon=horizon, image_size=[width, height], image_channels=image_channels,
                           embedding_dim=embedding_dim, hidden_size=hidden_size, num_layers=num_layers, cell=cell,
                           dropout=dropout, cnn_channels=list(cnn_channels), **rnn_options)
        self.horizon = horizon
        self.cnn = ImageEncoder(image_channels, height, width, tuple(cnn_channels))
        self.vectors = VectorInput(self.cnn.vector_size + 2 * (self.cnn.feature_size - 2), embedding_dim)
        self.rnn = Recurrent(cell, embedding_dim, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0,
                             **rnn_options)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, 2 * (horizon + 1))

    def frame_features(self, frames: torch.Tensor) -> torch.Tensor:
        """``[N, C, H, W]`` -> ``[N, embedding_dim]``: the CNN's summary and keypoints, projected."""
        vector, regions = self.cnn(frames)
        return self.vectors(torch.cat([vector, keypoints(regions)], dim=-1))

    def forward(self, clips: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Padded clips ``[T, B, C, H, W]`` (bytes or values in [0, 1]), ``lengths [B]`` -> positions
        ``[T, B, K + 1, 2]``: at each frame t, where the object is (``[..., 0, :]``) and where it will
        be at frames t+1..t+K."""
        features = encode_frames(self.frame_features, clips, lengths, self.head.weight.dtype)
        states, _ = self.rnn(self.dropout(features), lengths=lengths)
        out = self.head(self.dropout(states)).unflatten(-1, (self.horizon + 1, 2))
        now = out[..., :1, :]
        return torch.cat([now, now + out[..., 1:, :]], dim=-2)

    def targets(self, positions: torch.Tensor) -> torch.Tensor:
        """Positions ``[T, B, 2]`` (NaN where unknown) -> ``[T, B, K + 1, 2]``, what ``forward`` should
        give at each frame: the positions of frames t..t+K (NaN past the end)."""
        ahead = torch.cat([positions, positions.new_full((self.horizon, *positions.shape[1:]), float("nan"))])
        return torch.stack([ahead[k : k + len(positions)] for k in range(self.horizon + 1)], dim=2)

    def loss(self, clips: torch.Tensor, lengths: torch.Tensor, positions: torch.Tensor):
        """``(summed squared error, number of known positions)`` over every frame's present and
        future positions; ``positions [T, B, 2]`` in [-1, 1], NaN where unknown and past each end."""
        target = self.targets(positions.to(self.head.weight.dtype))
        known = ~target.isnan().any(-1)
        error = (self(clips, lengths) - target.nan_to_num(0.0)).pow(2).sum(-1)
        return (error * known).sum(), int(known.sum())

    @torch.no_grad()
    def paths(self, clips: list[torch.Tensor], batch_size: int = 16) -> list[torch.Tensor]:
        """Clips ``[T_b, C, H, W]`` -> for each, ``[T_b, K + 1, 2]``: at every frame, where the object
        is and its next K positions, in [-1, 1]."""
        out = []
        with evaluating(self):
            for start in range(0, len(clips), batch_size):
                x, lengths = pad_clips(clips[start : start + batch_size])
                paths = self(x.to(device_of(self)), lengths).double().cpu()
                out += [paths[: int(n), b] for b, n in enumerate(lengths)]
        return out
