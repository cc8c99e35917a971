"""A small convolutional image encoder, trained from scratch with the model that reads it (no
pretrained weights: these machines cannot download them).

Each block halves the resolution: ``conv3x3 - BatchNorm - ReLU - conv3x3 - BatchNorm - ReLU -
maxpool2`` (the VGG pattern, Simonyan & Zisserman 2015, with batch normalisation, Ioffe & Szegedy
2015).  The encoder gives

- a feature map ``[h * w, B, channels + 2]``: one vector per image region, time-major like a
  sequence of encoder states, each with its region's coordinates ``(x, y)`` in ``[-1, 1]``
  appended, so that attention over regions knows where it looks (as CoordConv, Liu et al. 2018);
- an image vector ``[B, vector_size]``: the map reduced to a few channels by a 1x1 convolution,
  batch-normalised and squashed by a tanh (centred and bounded, as recurrent states are: a
  decoder's initial state made from features that all images share saturates and tells the
  images apart no more), then flattened, so that it keeps where things are (a global average
  would lose it).

``keypoints`` reads a feature map as places: each channel's expected ``(x, y)`` under a softmax
over the regions (the spatial soft-argmax of Levine et al. 2016), a position finer than the
regions; ``encode_frames`` runs an encoder on the frames of padded clips.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.engine.tracing import tracing


class ImageEncoder(nn.Module):
    def __init__(self, in_channels: int, height: int, width: int, channels: tuple[int, ...] = (32, 64, 128),
                 summary_channels: int = 16):
        """``in_channels`` 1 (grey) or 3 (colour); the images are ``height x width`` pixels (each
        block halves both, rounding down); ``channels``: each block's output channels."""
        super().__init__()
        if not channels:
            raise ValueError("the encoder needs at least one block of channels")
        blocks, size = [], in_channels
        for out in channels:
            blocks += [nn.Conv2d(size, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True),
                       nn.Conv2d(out, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            size = out
        self.blocks = nn.Sequential(*blocks)
        self.in_channels, self.height, self.width = in_channels, height, width
        self.map_height, self.map_width = height >> len(channels), width >> len(channels)
        if self.map_height < 1 or self.map_width < 1:
            raise ValueError(f"{len(channels)} blocks halve {width}x{height} pixels to nothing; give larger images "
                             "or fewer blocks")
        self.summary = nn.Sequential(nn.Conv2d(size, summary_channels, 1, bias=False), nn.BatchNorm2d(summary_channels),
                                     nn.Tanh())
        self.feature_size = size + 2
        self.vector_size = summary_channels * self.map_height * self.map_width
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, self.map_height), torch.linspace(-1, 1, self.map_width),
                                indexing="ij")
        self.register_buffer("coordinates", torch.stack([xs, ys], -1).flatten(0, 1), persistent=False)   # [h*w, 2]

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``images [B, in_channels, height, width]`` (values in [0, 1]) -> ``(vector [B, vector_size],
        regions [h * w, B, channels + 2])``."""
        expected = (self.in_channels, self.height, self.width)
        if images.dim() != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must be [batch, {', '.join(map(str, expected))}], got {list(images.shape)}")
        features = self.blocks(images)
        vector = self.summary(features).flatten(1)
        regions = features.flatten(2).permute(2, 0, 1)                                     # [h*w, B, C]
        where = self.coordinates[:, None].to(regions.dtype).expand(-1, images.shape[0], -1)
        return vector, torch.cat([regions, where], dim=-1)


def keypoints(regions: torch.Tensor) -> torch.Tensor:
    """``regions [h * w, B, C + 2]`` (features, then coordinates, as ``ImageEncoder`` gives them) ->
    ``[B, 2 C]``: for each channel, the mean coordinates under ``softmax`` of its features over the
    regions (where the channel fires)."""
    features, where = regions[..., :-2], regions[..., -2:]
    return torch.einsum("sbc,sbd->bcd", features.softmax(0), where).flatten(1)


def encode_frames(encode, clips: torch.Tensor, lengths: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Padded clips ``[T, B, C, H, W]`` (bytes 0-255 or values in [0, 1]) -> ``[T, B, F]``: ``encode``
    (``[N, C, H, W]`` in ``dtype`` -> ``[N, F]``) runs on the real frames only; steps past a clip's
    end are zeros."""
    real = torch.arange(clips.shape[0], device=clips.device)[:, None] < lengths.to(clips.device)[None, :]
    if tracing():      # a traced program cannot pick out a data-dependent number of frames: all of them, then
        frames = clips.flatten(0, 1)                 # zeros past each end (the same in eval mode)
        frames = frames.float() / 255.0 if frames.dtype == torch.uint8 else frames.float()
        vectors = encode(frames.to(dtype)).unflatten(0, tuple(clips.shape[:2]))
        return torch.where(real[..., None], vectors, 0.0)
    frames = clips[real]
    frames = frames.float() / 255.0 if frames.dtype == torch.uint8 else frames.float()
    vectors = encode(frames.to(dtype))
    out = vectors.new_zeros(*real.shape, vectors.shape[-1])
    out[real] = vectors
    return out
