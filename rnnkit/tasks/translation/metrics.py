"""A translation model scored: BLEU and chrF of its output against references."""
from __future__ import annotations


def translation_metrics(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    """sacrebleu's corpus BLEU (13a tokenisation, cased and lowercased) and chrF on detokenised text."""
    import sacrebleu

    refs = [references]
    return {"bleu": sacrebleu.corpus_bleu(hypotheses, refs).score,
            "bleu_lowercase": sacrebleu.corpus_bleu(hypotheses, refs, lowercase=True).score,
            "chrf": sacrebleu.corpus_chrf(hypotheses, refs).score}


def format_translation_metrics(m: dict) -> str:
    line = f"BLEU {m['bleu']:.2f}  BLEU (lowercased) {m['bleu_lowercase']:.2f}  chrF {m['chrf']:.2f}"
    if "sentences_per_s" in m:
        line += f"  {m['sentences_per_s']:.1f} sentences/s (beam {m['beam']})"
    return line
