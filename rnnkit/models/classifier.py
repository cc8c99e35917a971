"""Many-to-one: read the whole sequence, decide once ("The food was really good" -> positive).

    e_t = E[x_t];   h_1..h_T = BiRNN(e);   v = pool(h);   p(y | x) = softmax(W dropout(v) + b)

The pooling (``rnnkit.layers.pooling``) is the lecture's "single classifier at the final state"
(``last``) or a summary of every state (``mean``, ``max``, ``attention``); attention weights are
returned so that one can see which words decided.
"""
from __future__ import annotations

import torch
from torch import nn

from rnnkit.devices import device_of, to_device
from rnnkit.cells import resolve
from rnnkit.layers import Pooling, Recurrent, VectorInput
from rnnkit.layers.images import ImageEncoder, encode_frames

NORMALIZE = ("training", "case")   # recordings: standardise with the training set's statistics, or each case's first
from rnnkit.models.modes import evaluating


def final_states(h_n, num_directions: int) -> torch.Tensor:
    """The top layer's final state of each direction, concatenated: ``[B, D * H]``."""
    h = h_n[0] if isinstance(h_n, tuple) else h_n
    return torch.cat(list(h[-num_directions:]), dim=-1)


class SequenceClassifier(nn.Module):
    def __init__(self, vocab_size: int, num_classes: int, embedding_dim: int = 128, hidden_size: int = 128,
                 num_layers: int = 1, cell: str = "lstm", bidirectional: bool = True, pooling: str = "attention",
                 dropout: float = 0.5, *, features: int | None = None, deltas: bool = False, frame: int = 1,
                 normalize: str = "training",
                 image_size: tuple[int, int] | None = None, image_channels: int = 1,
                 cnn_channels: tuple[int, ...] = (32, 64, 128), vocab=None, tokenizer=None,
                 labels: list[str] | None = None, **rnn_options):
        """``dropout`` applies to the embeddings, between layers and before the classifier;
        ``rnn_options`` go to the recurrent layers (``layer_norm``, ``recurrent_dropout``, ...);
        ``vocab``, ``tokenizer`` and ``labels`` (the class names) are what ``predict`` reads and
        writes text with; a loaded run has them.  ``features``: read recordings, sequences of
        vectors with that many channels, instead of token ids (``vocab_size`` is then unused):
        each channel is standardised with the mean and standard deviation that
        ``fit_normalization`` takes from the training recordings (kept with the weights), a
        missing value is the mean, and each step is projected to ``embedding_dim``.  ``normalize``
        "case": before that, each recording's channels are standardised with its own mean and
        standard deviation, which join as channels of their own (as the mean and the logarithm:
        the shape of a curve apart from its level and scale, which vary over orders of magnitude
        between the recordings of some sensors, such as currents in PLAID).  ``deltas``: each
        channel's step difference ``x_t - x_(t-1)`` joins it as a channel of its own (the "delta
        features" of speech recognition: the shape of a curve rather than its level);
        ``frame``: ``frame`` consecutive steps are read as one vector, so the network runs
        ``ceil(T / frame)`` steps (long recordings become short sequences).  ``image_size``
        ``(width, height)``: read clips, sequences of frames (``image_channels`` 1 grey or 3
        colour) instead: a CNN (``rnnkit.layers.images.ImageEncoder``, blocks of ``cnn_channels``)
        turns each frame into a vector, projected to ``embedding_dim``; with ``deltas`` it reads
        each frame with its difference from the frame before (motion, as channels of their own)."""
        super().__init__()
        self.vocab, self.tokenizer, self.labels = vocab, tokenizer, labels
        cell, rnn_options = resolve(cell, rnn_options)   # a registry name; older flags folded in
        self.config = dict(vocab_size=vocab_size, num_classes=num_classes, embedding_dim=embedding_dim,
                           hidden_size=hidden_size, num_layers=num_layers, cell=cell, bidirectional=bidirectional,
                           pooling=pooling, dropout=dropout, **({"features": features} if features else {}),
                           **({"deltas": True} if deltas else {}), **({"frame": frame} if frame != 1 else {}),
                           **({"normalize": normalize} if normalize != "training" else {}),
                           **(dict(image_size=list(image_size), image_channels=image_channels,
                                   cnn_channels=list(cnn_channels)) if image_size else {}),
                           **rnn_options)
        self.directions, self.features = (2 if bidirectional else 1), features
        if frame < 1:
            raise ValueError(f"frame must be >= 1 step, got {frame}")
        if normalize not in NORMALIZE:
            raise ValueError(f"normalize must be one of {NORMALIZE}, got {normalize!r}")
        self.deltas, self.frame, self.clips, self.normalize = deltas, frame, image_size is not None, normalize
        if image_size:
            self.cnn = ImageEncoder(image_channels * (2 if deltas else 1), image_size[1], image_size[0],
                                    tuple(cnn_channels))
            self.vectors = VectorInput(self.cnn.vector_size, embedding_dim)
        elif features:
            channels = features * (2 if deltas else 1) + (2 * features if normalize == "case" else 0)
            self.vectors = VectorInput(channels * frame, embedding_dim)
            self.register_buffer("channel_mean", torch.zeros(channels))
            self.register_buffer("channel_std", torch.ones(channels))
        else:
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.rnn = Recurrent(cell, embedding_dim, hidden_size, num_layers, bidirectional=bidirectional,
                             dropout=dropout if num_layers > 1 else 0.0, **rnn_options)
        self.pooling = Pooling(pooling, self.directions * hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.directions * hidden_size, num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor):
        """``tokens [T, B]`` (time-major, padded; for recordings, vectors ``[T, B, features]``),
        ``lengths [B]`` (each >= 1) -> ``(logits [B, C], attention weights [T, B] or None)``."""
        if self.clips:
            embedded = self.frame_vectors(tokens, lengths)
        elif self.features:
            x, lengths = self.steps(tokens, lengths)
            embedded = self.vectors(x)
        else:
            embedded = self.embedding(tokens)
        states, h_n = self.rnn(self.dropout(embedded), lengths=lengths)
        pooled, weights = self.pooling(states, lengths, final_states(h_n, self.directions))
        return self.classifier(self.dropout(pooled)), weights

    def frame_vectors(self, clips: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Padded clips ``[T, B, C, H, W]`` (bytes) -> ``[T, B, embedding_dim]``: the CNN runs on the
        real frames only (with ``deltas``, each with its difference from the frame before, zero at
        the first); steps past a clip's end are zeros."""
        if self.deltas:
            clips = clips.float() / 255.0 if clips.dtype == torch.uint8 else clips.float()
            clips = torch.cat([clips, clips - torch.cat([clips[:1], clips[:-1]])], dim=2)
        return encode_frames(lambda frames: self.vectors(self.cnn(frames)[0]), clips, lengths,
                             self.classifier.weight.dtype)

    def channels(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Padded recordings ``[T, B, features]`` as the channels the network reads, before the
        standardisation: with ``normalize`` "case" each recording's own standardised values, then
        their step differences where ``deltas`` is on (unknown at the first step: NaN, as a missing
        value), then with "case" each recording's mean and log standard deviation at every step."""
        if self.normalize == "case":
            inside = torch.arange(x.shape[0], device=x.device)[:, None] < lengths.to(x.device)[None, :]
            known = ~torch.isnan(x) & inside[..., None]
            count = known.sum(0).clamp(min=1)
            mean = torch.where(known, x, 0.0).sum(0) / count
            std = (torch.where(known, x - mean, 0.0) ** 2).sum(0).div(count).sqrt()
            std = torch.where(std > 1e-8, std, 1.0)
            level = torch.cat([mean, std.log()], dim=-1).expand(x.shape[0], -1, -1)
            x = (x - mean) / std
        if self.deltas:
            x = torch.cat([x, torch.cat([torch.full_like(x[:1], float("nan")), x[1:] - x[:-1]])], dim=-1)
        return torch.cat([x, level], dim=-1) if self.normalize == "case" else x

    def steps(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded recordings ``[T, B, features]`` as the vectors the network reads: channels
        standardised (a missing value, and every step past a case's end, at the mean: 0), then
        ``frame`` steps to a vector, ``[ceil(T / frame), B, frame * channels]``, and their lengths."""
        x = (self.channels(x.to(self.channel_mean.dtype), lengths) - self.channel_mean) / self.channel_std
        x = x.nan_to_num(0.0)
        past_end = torch.arange(x.shape[0], device=x.device)[:, None] >= lengths.to(x.device)[None, :]
        x = x.masked_fill(past_end[..., None], 0.0)
        if self.frame == 1:
            return x, lengths
        x = nn.functional.pad(x, (0, 0, 0, 0, 0, -x.shape[0] % self.frame))
        T, B, C = x.shape
        x = x.reshape(T // self.frame, self.frame, B, C).transpose(1, 2).reshape(T // self.frame, B, self.frame * C)
        return x, torch.div(lengths + self.frame - 1, self.frame, rounding_mode="floor")

    @torch.no_grad()
    def fit_normalization(self, cases: list[torch.Tensor]) -> None:
        """Each channel's mean and standard deviation over every step of the training recordings
        ``cases`` (``[steps, features]`` each; missing values, NaN, left out)."""
        values = torch.cat([self.channels(c.double()[:, None], torch.tensor([len(c)]))[:, 0] for c in cases])
        known = ~torch.isnan(values)
        count = known.sum(0).clamp(min=1)
        mean = torch.where(known, values, 0.0).sum(0) / count
        std = (torch.where(known, values - mean, 0.0) ** 2).sum(0).div(count).sqrt()
        self.channel_mean.copy_(mean)
        self.channel_std.copy_(torch.where(std > 1e-8, std, 1.0))

    def loss(self, tokens, lengths, labels):
        """Summed cross-entropy over the batch and the number of examples."""
        logits, _ = self(tokens, lengths)
        return self.nats(logits, labels), len(labels)

    @staticmethod
    def nats(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The summed cross-entropy of ``logits [B, C]`` against ``labels [B]``."""
        return nn.functional.cross_entropy(logits, labels, reduction="sum")

    @torch.no_grad()
    def classify(self, items: list, pad, batch_size: int = 64) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
        """Class probabilities ``float64 [N, C]`` of ``items`` (token id lists, recordings ``[steps,
        features]`` or clips ``uint8 [frames, C, H, W]``), batched by ``pad`` (``pad_batch``,
        ``pad_cases``, ``pad_clips``), and with attention pooling each item's weights over its steps."""
        probabilities, weights = [], []
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            p, w = self.probabilities(*pad(chunk))
            probabilities.append(p.double().cpu())
            if w is not None:
                weights += [w[: len(item), b].cpu() for b, item in enumerate(chunk)]
        return torch.cat(probabilities), (weights or None)

    def probabilities(self, tokens, lengths):
        """Class probabilities ``[B, C]`` and attention weights, in eval mode."""
        with evaluating(self):
            logits, weights = self(*to_device((tokens, lengths), device_of(self)))
        return logits.softmax(-1), weights
