"""One-to-many: read an image once, write its caption from [START] to [END].

    v, m_1..m_S = CNN(image)                    (the image vector; the regions of its feature map)
    state_0 = tanh(W_b v)                       (the image sets the decoder's initial state)

then the decoder of ``rnnkit.models.decoder``.  Without attention (the lectures' model, as in
Vinyals et al. 2015) the decoder sees the image only through its initial state; with attention
it also looks at the regions at every step (soft attention, Xu et al. 2015, "Show, Attend and
Tell"), and its weights show where it looked for each word.  The CNN (``ImageEncoder``) is small
and trained from scratch with the decoder.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.cells import resolve
from rnnkit.layers.distortion import ElasticDistortion
from rnnkit.layers.images import ImageEncoder
from rnnkit.models.decoder import Decoder, DecoderState


class Captioner(Decoder):
    def __init__(self, vocab_size: int, image_size: tuple[int, int] = (64, 64), image_channels: int = 1,
                 embedding_dim: int = 128, hidden_size: int = 256, num_layers: int = 1, cell: str = "lstm",
                 attention: str | None = None, dropout: float = 0.3, tie_embeddings: bool = False,
                 cnn_channels: tuple[int, ...] = (32, 64, 128), coverage: float = 0.0, elastic: float = 0.0,
                 elastic_sigma: float = 4.0, *, vocab=None, tokenizer=None, max_length: int = 50, **rnn_options):
        """``image_size`` ``(width, height)`` and ``image_channels`` (1 grey, 3 colour): the images
        it reads, as ``rnnkit.data.images.ImageFolder`` prepares them; ``attention``: a score of
        ``rnnkit.layers.attention`` or None (the dot score compares the decoder state with each region,
        so where their sizes differ the regions first pass through a linear map to the decoder's
        size); ``cnn_channels``: each CNN block's channels;
        ``coverage``: in training, add ``coverage * sum_i max(0, sum_t alpha_ti - 1)^2`` to the
        loss, a penalty on reading one region for more than one word's worth of attention (the
        over-attention half of Xu et al.'s "doubly stochastic" penalty);
        ``elastic``, ``elastic_sigma``: in training, distort each image by a smooth random field of
        ``elastic`` pixels' root-mean-square displacement (``rnnkit.layers.distortion``; 0: off);
        ``vocab``, ``tokenizer`` and ``max_length`` (caption tokens written) are what
        ``rnnkit.tasks.captioning.decode.caption`` works with; a loaded run has them."""
        super().__init__()
        self.vocab, self.tokenizer, self.max_length = vocab, tokenizer, max_length
        cell, rnn_options = resolve(cell, rnn_options)
        width, height = image_size
        self.config = dict(vocab_size=vocab_size, image_size=[width, height], image_channels=image_channels,
                           embedding_dim=embedding_dim, hidden_size=hidden_size, num_layers=num_layers, cell=cell,
                           attention=attention, dropout=dropout, tie_embeddings=tie_embeddings,
                           cnn_channels=list(cnn_channels), max_length=max_length,
                           **({"coverage": coverage} if coverage else {}),
                           **({"elastic": elastic, "elastic_sigma": elastic_sigma} if elastic else {}), **rnn_options)
        if coverage and not attention:
            raise ValueError("coverage penalises attention; the model has none (attention=None)")
        self.coverage = coverage
        self.distort = ElasticDistortion(elastic, elastic_sigma)
        self.cnn = ImageEncoder(image_channels, height, width, tuple(cnn_channels))
        regions = self.cnn.feature_size
        self.region_proj = nn.Linear(regions, hidden_size) if attention == "dot" and regions != hidden_size else None
        self.build_decoder(vocab_size, embedding_dim, hidden_size, hidden_size if self.region_proj else regions,
                           num_layers, cell, attention, dropout, tie_embeddings, **rnn_options)
        self.num_layers = num_layers
        self.bridge = nn.ModuleList(nn.Linear(self.cnn.vector_size, num_layers * hidden_size)
                                    for _ in range(2 if self.is_lstm else 1))

    def encode(self, images: torch.Tensor) -> DecoderState:
        """``images [B, channels, height, width]``, bytes (0-255) or values in [0, 1] -> the decoder's
        starting state, with the image regions as its memory."""
        if images.dtype == torch.uint8:
            images = images.float() / 255.0
        vector, regions = self.cnn(self.distort(images.to(self.output.weight.dtype)))
        vector = self.dropout(vector)
        if self.region_proj is not None:
            regions = self.region_proj(regions)
        start = tuple(torch.tanh(bridge(vector)).view(images.shape[0], self.num_layers, -1).transpose(0, 1).contiguous()
                      for bridge in self.bridge)
        mask = torch.ones(regions.shape[:2], dtype=torch.bool, device=regions.device)
        return self.start(start if self.is_lstm else start[0], regions, mask)

    def forward(self, images, tgt_in, teacher_forcing: float = 1.0):
        """``images [B, C, H, W]``, ``tgt_in [T, B]`` (starting with <bos>) -> ``(logits [T, B, V],
        attention over the regions [T, B, h * w] or None)``."""
        return self.decode(self.encode(images), tgt_in, teacher_forcing)

    def loss(self, images, tgt_in, tgt_out, teacher_forcing: float = 1.0):
        """Summed cross-entropy over the real caption tokens (``tgt_out`` padded with 0) and their
        number; in training, plus the coverage penalty where ``coverage`` is set."""
        logits, attention = self(images, tgt_in, teacher_forcing)
        nats, count = self.nats(logits, tgt_out)
        if self.coverage and self.training:
            read = (attention * (tgt_out != 0)[..., None]).sum(0)                  # [B, regions]
            nats = nats + self.coverage * torch.relu(read - 1.0).pow(2).sum()
        return nats, count
