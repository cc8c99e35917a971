"""Images with their reference captions, read once, and batched for teacher forcing."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from rnnkit.data import Vocab, pad_batch
from rnnkit.data.images import ImageFolder
from rnnkit.models import Captioner


@dataclass
class Captioned:
    """Images (``uint8 [N, C, H, W]``) and the reference captions of each."""
    images: torch.Tensor
    references: list[list[str]]


class Collate:
    """A batch of (image index, caption ids) as ``(images [B, C, H, W] bytes, tgt_in [T, B] = <bos> y,
    tgt_out [T, B] = y <eos>)``."""

    def __init__(self, pixels: torch.Tensor):
        self.pixels = pixels

    def __call__(self, examples):
        tgt_in, _ = pad_batch([[Vocab.bos_id, *ids] for _, ids in examples], Vocab.pad_id)
        tgt_out, _ = pad_batch([[*ids, Vocab.eos_id] for _, ids in examples], Vocab.pad_id)
        return self.pixels[[k for k, _ in examples]], tgt_in, tgt_out


def read_images(folder: ImageFolder, names: list[str]) -> torch.Tensor:
    """The images ``names`` of ``folder`` as one ``uint8 [N, C, H, W]`` tensor."""
    if not names:
        return torch.zeros(0, folder.channels, folder.size[1], folder.size[0], dtype=torch.uint8)
    return torch.stack([folder.read(name) for name in names])


def model_folder(model: Captioner, root) -> ImageFolder:
    """A folder read at the size and with the channels the model was trained on."""
    return ImageFolder(root, tuple(model.config["image_size"]), model.config["image_channels"])
