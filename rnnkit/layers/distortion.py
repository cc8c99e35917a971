"""Elastic distortion of images in training (Simard, Steinkraus & Platt 2003, "Best practices for
convolutional neural networks applied to visual document analysis"):

    d = pixels * G_sigma * n / rms(G_sigma * n),    n ~ U(-1, 1) per pixel and direction
    image'(p) = image(p + d(p))                      (bilinear; the border continues past the edge)

White noise smoothed by a Gaussian of ``sigma`` pixels is a smooth random field; scaled to a
root-mean-square displacement of ``pixels``, it bends strokes the way another hand would write
them, so a small training set of handwriting shows a new variant of each shape at every epoch.
Like dropout, it acts in training only.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class ElasticDistortion(nn.Module):
    def __init__(self, pixels: float, sigma: float = 4.0):
        """``pixels``: root-mean-square displacement of the field (0: off); ``sigma``: its smoothness,
        the Gaussian's standard deviation in pixels (larger: the image bends as a whole, smaller:
        each stroke wobbles)."""
        super().__init__()
        if pixels < 0 or sigma <= 0:
            raise ValueError(f"elastic distortion needs pixels >= 0 and sigma > 0, got {pixels} and {sigma}")
        self.pixels, self.sigma = pixels, sigma
        t = torch.arange(-int(3 * sigma), int(3 * sigma) + 1, dtype=torch.float64)
        kernel = torch.exp(-t.pow(2) / (2 * sigma**2))
        self.register_buffer("kernel", (kernel / kernel.sum()).float(), persistent=False)

    def field(self, batch: int, height: int, width: int, dtype: torch.dtype, device) -> torch.Tensor:
        """A random displacement field ``[batch, 2, height, width]`` in pixels, ``(x, y)``."""
        noise = torch.rand(batch * 2, 1, height, width, dtype=dtype, device=device) * 2 - 1
        k, r = self.kernel.to(dtype), self.kernel.numel() // 2
        smooth = F.conv2d(F.conv2d(noise, k.view(1, 1, 1, -1), padding=(0, r)), k.view(1, 1, -1, 1), padding=(r, 0))
        smooth = smooth.view(batch, 2, height, width)
        rms = smooth.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp_min(torch.finfo(dtype).tiny)
        return smooth * (self.pixels / rms)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``images [B, C, H, W]`` (floating point) -> the same, distorted in training mode."""
        if not self.training or self.pixels == 0:
            return images
        B, _, H, W = images.shape
        d = self.field(B, H, W, images.dtype, images.device)
        ys = torch.linspace(-1 + 1 / H, 1 - 1 / H, H, dtype=images.dtype, device=images.device)   # pixel centres
        xs = torch.linspace(-1 + 1 / W, 1 - 1 / W, W, dtype=images.dtype, device=images.device)
        grid = torch.stack([xs + d[:, 0] * (2 / W), ys[:, None] + d[:, 1] * (2 / H)], dim=-1)   # [B, H, W, 2]
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def extra_repr(self) -> str:
        return f"pixels={self.pixels}, sigma={self.sigma}"
