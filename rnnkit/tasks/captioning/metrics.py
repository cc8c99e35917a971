"""A captioner scored: BLEU-4 against all references of each image, and exact matches."""
from __future__ import annotations


def caption_metrics(hypotheses: list[str], references: list[list[str]]) -> dict[str, float]:
    """BLEU-4 (sacrebleu, 13a tokenisation, cased, on 0-100) of each hypothesis against all the
    references of its image, and the fraction of hypotheses equal to one of their references
    once runs of whitespace are one space."""
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} sets of references")
    most = max((len(r) for r in references), default=0)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(most)]
    squeeze = lambda text: " ".join(text.split())  # noqa: E731
    exact = sum(squeeze(h) in {squeeze(r) for r in refs} for h, refs in zip(hypotheses, references))
    return {"bleu": sacrebleu.corpus_bleu(hypotheses, streams).score if hypotheses else 0.0,
            "exact": exact / max(len(hypotheses), 1)}


def format_caption_metrics(m: dict) -> str:
    return f"BLEU-4 {m['bleu']:.2f}  exact {m['exact']:.4f}"
