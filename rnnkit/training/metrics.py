"""Language-model metrics: cross-entropy in nats per token, perplexity, bits per character."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LN2 = math.log(2.0)


def cross_entropy_sum(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy (nats) of ``logits [..., V]`` against ``targets [...]``, and the
    number of targets counted."""
    nats = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=ignore_index, reduction="sum")
    return nats, int((targets != ignore_index).sum())


def perplexity(nats_per_token: float) -> float:
    """``exp(loss)``; infinite where the loss is (or overflows)."""
    return math.exp(nats_per_token) if nats_per_token < 700 else math.inf


def bits_per_char(total_nats: float, num_chars: int) -> float:
    """Total information over the characters it covers, in bits: for a character model this is
    the loss divided by ln 2."""
    return total_nats / max(num_chars, 1) / LN2


def lm_metrics(total_nats: float, num_tokens: int, num_chars: int) -> dict[str, float]:
    loss = total_nats / max(num_tokens, 1)
    return {"loss": loss, "perplexity": perplexity(loss), "bpc": bits_per_char(total_nats, num_chars),
            "tokens": num_tokens}


def format_lm_metrics(m: dict[str, float]) -> str:
    """``loss 1.2345 nats/token  perplexity 3.44  bpc 1.78``."""
    return f"loss {m['loss']:.4f} nats/token  perplexity {m['perplexity']:.2f}  bpc {m['bpc']:.2f}"
