"""Machine translation on Multi30k German -> English (``benchmarks/translate.py``).

The 60-minute attention run and its companions were one draw of initial weights (seed 0 with the
code of 9c50926); every figure says "1 seed" until they are rerun."""
from render import fixed, flags, grouped, provenance, renders, seeds, table
from store import load

RUNS = ("tokenizer_word", "tokenizer_subword", "no_attention", "attention")
TARGET_LOWERCASED_BLEU = 32          # issue target: lowercased test BLEU with attention and beam search
TARGET_MINUTES = 60                  # ... within this much training


def budget(entry: dict, *more: str) -> str:
    """The time budget of a run, with its steps where the entry records them (and ``more``)."""
    steps = f"{grouped(entry['steps'])} steps" if "steps" in entry else "steps not recorded"
    return f"{float(flags(entry['config'])['--max-time']) / 60:.0f} min ({'; '.join((steps, *more))})"


def curve(entry: dict) -> str:
    """Validation BLEU along a run: 'minutes: BLEU, ...'."""
    return ", ".join(f"{e['elapsed'] / 60:.1f}: {e['bleu']:.1f}" for e in entry["evaluations"])


@renders("translate/provenance")
def sources() -> str:
    return provenance("translate", RUNS)


@renders("translate/tokenizers")
def tokenizers() -> str:
    store = load("translate")
    described = {"word": lambda c: f"words and punctuation, case kept, min frequency {flags(c)['--min-freq']}",
                 "subword": lambda c: (f"SentencePiece unigram, {grouped(int(flags(c)['--vocab-size']))} "
                                       "pieces per side")}
    runs = {name: store.result(name) for name in ("tokenizer_word", "tokenizer_subword")}
    best = max(r["valid_bleu"] for r in runs.values())
    rows = []
    for name, r in runs.items():
        bleu = fixed(r["valid_bleu"], 2)
        rows.append((described[flags(r["config"])["--tokenizer"]](r["config"]), budget(r), grouped(r["tokens_per_s"]),
                     f"**{bleu}**" if r["valid_bleu"] == best else bleu, seeds(store.entry(name))))
    return table(("tokenizer", "training", "tokens/s", "val BLEU (greedy)", "seeds"), rows, "llrrl")


@renders("translate/tokenizer-curves")
def tokenizer_curves() -> str:
    store = load("translate")
    return ("Val BLEU along the way (minutes: BLEU): words " + curve(store.result("tokenizer_word"))
            + "; subwords " + curve(store.result("tokenizer_subword")) + ".")


@renders("translate/test")
def test() -> str:
    store = load("translate")
    bottleneck, attention = store.result("no_attention"), store.result("attention")
    best = max(r["test"][beam]["bleu"] for r in (bottleneck, attention) for beam in ("beam1", "beam5"))

    def row(label, run, beam, training, valid):
        t = run["test"][beam]
        bold = (lambda s: f"**{s}**") if t["bleu"] == best else (lambda s: s)
        return (bold(label), training, valid, bold(fixed(t["bleu"], 2)), bold(fixed(t["bleu_lowercase"], 2)),
                fixed(t["chrf"], 1), f"{t['sentences_per_s']:.0f} sentences/s")

    def training(run):
        return budget(run, f"{grouped(run['tokens_per_s'])} tokens/s")

    rows = [row("(a) no attention (the encoder's final states only), greedy", bottleneck, "beam1",
                training(bottleneck), fixed(bottleneck["valid_bleu"], 2)),
            row("(a) no attention, beam 5", bottleneck, "beam5", "same model", ""),
            row("(b) attention, greedy", attention, "beam1",
                f"{training(attention)}; best val at {attention['selected_at_s'] / 60:.1f} min",
                fixed(attention["valid_bleu"], 2)),
            row("(c) attention, beam 5", attention, "beam5", "same model", "")]
    rows = [(*r, seeds(store.entry(name))) for r, name in zip(rows, ("no_attention",) * 2 + ("attention",) * 2)]
    return table(("model", "training", "val BLEU", "test BLEU", "test BLEU, lowercased", "test chrF", "decoding",
                  "seeds"), rows, "llrrrrrl")


@renders("translate/test-curves")
def test_curves() -> str:
    store = load("translate")
    bottleneck, attention = store.result("no_attention"), store.result("attention")
    return (f"Wall time of the training runs, start to end of `rnnkit train` (data, tokenizer, the last "
            f"evaluation): {bottleneck['wall_s'] / 60:.1f} minutes (a) and {attention['wall_s'] / 60:.1f} minutes "
            f"(b, c). Val BLEU along the way (minutes: BLEU), the bottleneck model (a): {curve(bottleneck)}; the "
            f"attention model (b, c): {curve(attention)}.")


@renders("translate/targets")
def targets() -> str:
    store = load("translate")
    bottleneck, attention = store.result("no_attention"), store.result("attention")
    beam5, greedy = attention["test"]["beam5"], attention["test"]["beam1"]
    minutes = float(flags(attention["config"])["--max-time"]) / 60
    met = beam5["bleu_lowercase"] >= TARGET_LOWERCASED_BLEU and minutes <= TARGET_MINUTES
    entry = store.entry("attention")
    return (f"Target: test_2016_flickr lowercased BLEU >= {TARGET_LOWERCASED_BLEU} with attention and beam search "
            f"within {TARGET_MINUTES} minutes of training: {'met' if met else 'missed'}, "
            f"{fixed(beam5['bleu_lowercase'], 2)} (cased {fixed(beam5['bleu'], 2)}) after {minutes:.0f} minutes, "
            f"{seeds(entry)} (seed {', '.join(map(str, entry.seeds))}), code of {entry.provenance['commit']}. "
            f"Translation speed with beam 5: {beam5['sentences_per_s']:.0f} sentences/s. Attention is worth "
            f"{beam5['bleu_lowercase'] - bottleneck['test']['beam5']['bleu_lowercase']:.1f} BLEU here "
            f"({fixed(bottleneck['test']['beam5']['bleu_lowercase'], 1)} -> {fixed(beam5['bleu_lowercase'], 1)} "
            f"lowercased, beam 5), and beam search {beam5['bleu'] - greedy['bleu']:.1f} over greedy.")


@renders("translate/other-draws")
def other_draws() -> str:
    """The same configuration at the same seed with later code, whose modules draw other weights."""
    store = load("translate")
    here = store.result("attention")["test"]["beam5"]["bleu"]
    later = [(name, store.result(name)) for name in ("attention_before_issue_19", "attention_issue_19")]
    runs = "; ".join(f"with the code of {r['code']}, {fixed(r['test']['beam5']['bleu'], 2)} "
                     f"({fixed(here - r['test']['beam5']['bleu'], 2)} less; `{name}`, {seeds(store.entry(name))})"
                     for name, r in later)
    minutes = float(flags(store.result("attention")["config"])["--max-time"]) / 60
    first = store.entry("attention")
    return (f"Test BLEU with beam 5 after {minutes:.0f} minutes: {fixed(here, 2)} with the code of "
            f"{first.provenance['commit']} (`attention`, {seeds(first)}); {runs}.")
