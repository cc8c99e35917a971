"""A language model scored: nats per token, perplexity and bits per character."""
from __future__ import annotations

import math

from rnnkit.training import perplexity

LN2 = math.log(2.0)


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
