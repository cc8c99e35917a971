"""``rnnkit demo``: train a small character LSTM on the Zen of Python, then watch its gates.

A first look at the core: the model learns to predict the next character, then reads a
sentence while ``trace()`` records every gate, printed as a table (one row per character).
"""
from __future__ import annotations

import codecs
import contextlib
import io
import sys
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from rnnkit.models import LanguageModel

SENTENCE = "Beautiful is better than ugly."


def zen_of_python() -> str:
    """The text of ``import this``, which every Python carries (silencing its print)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    return codecs.decode(this.s, "rot13")


def train(model, data, seconds: float, window: int = 64, batch: int = 16, lr: float = 1e-2):
    """Adam on random windows, teacher-forced next-character loss, clipped at norm 1."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.monotonic()
    bar = tqdm(desc="training", unit="step", file=sys.stderr, leave=False)
    loss = torch.tensor(float("nan"))
    while time.monotonic() - start < seconds:
        starts = torch.randint(0, len(data) - window - 1, (batch,))
        chunk = torch.stack([data[s : s + window + 1] for s in starts.tolist()], 1)
        logits, _ = model(chunk[:-1])
        loss = F.cross_entropy(logits.flatten(0, 1), chunk[1:].flatten())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        bar.update()
        bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    bar.close()
    return loss.item(), bar.n


def run(seconds: float = 20.0, seed: int = 0, out=None) -> None:
    out = out or sys.stdout
    torch.manual_seed(seed)
    text = zen_of_python()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text])
    model = LanguageModel(len(chars), embedding_dim=32, hidden_size=96, cell="lstm")
    print(f"Training a character LSTM (96 units) on the Zen of Python ({len(text)} characters) "
          f"for {seconds:.0f} s ...", file=sys.stderr)
    loss, steps = train(model, data, seconds)
    print(f"{steps} steps, final training loss {loss:.3f} nats/char\n", file=sys.stderr)

    model.eval()
    tokens = torch.tensor([index[c] for c in SENTENCE])[:, None]
    with torch.no_grad():
        probs = model(tokens)[0][:, 0].softmax(-1)
        trace = model.rnn.trace(model.embedding(tokens))
    i, f, o = (trace.gates[g][0, :, 0] for g in "ifo")
    c = trace.c[0, :, 0]
    unit = c.abs().max(0).values.argmax().item()
    print(f"The LSTM reads {SENTENCE!r}; per character, the mean of each gate over the 96 units,", file=out)
    print(f"the cell unit {unit} (the one that swings the most) and its guess of the next character.\n", file=out)
    print(f"{'char':>4}  {'input i':>7}  {'forget f':>8}  {'output o':>8}  {'c[' + str(unit) + ']':>7}  "
          f"{'|c| mean':>8}  next char guess", file=out)
    for t, ch in enumerate(SENTENCE):
        p, k = probs[t].max(0)
        guess, truth = chars[k], SENTENCE[t + 1] if t + 1 < len(SENTENCE) else "\n"
        mark = "ok" if guess == truth else f"(was {truth!r})"
        print(f"{ch!r:>4}  {i[t].mean():7.3f}  {f[t].mean():8.3f}  {o[t].mean():8.3f}  "
              f"{c[t, unit]:+7.3f}  {c[t].abs().mean():8.3f}  {guess!r} p={p:.2f} {mark}", file=out)
    print("\nGates lie in (0, 1): a forget gate near 1 keeps that unit's cell state, near 0 erases it;",
          file=out)
    print("the input gate scales what is written, the output gate what the cell shows as h_t.\n", file=out)
    prime = "Although"
    print(f"Greedy continuation of {prime!r}, one step() per character:", file=out)
    print(prime + greedy(model, [index[ch] for ch in prime], chars, 80), file=out)


@torch.no_grad()
def greedy(model, prime: list[int], chars: list[str], length: int) -> str:
    """Feed the prime, then repeatedly the most likely next character, carrying the state."""
    state, logits = None, None
    for k in prime:
        logits, state = model.step(torch.tensor([k]), state)
    text = []
    for _ in range(length):
        k = logits[0].argmax()
        text.append(chars[k])
        logits, state = model.step(k[None], state)
    return "".join(text)
