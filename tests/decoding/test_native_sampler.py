"""The C++ sampler against the generic model.step() loop."""
import os

import pytest
import torch

from rnnkit.decoding import generate
from rnnkit.decoding.native import NativeSampler
from rnnkit.engine import native
from rnnkit.models import LanguageModel

pytestmark = pytest.mark.skipif(os.environ.get("RNNKIT_NATIVE") == "0", reason="RNNKIT_NATIVE=0")

CONFIGS = [dict(cell="lstm"), dict(cell="lstm", layer_norm=True), dict(cell="gru"),
           dict(cell="gru", reset="before"), dict(cell="rnn")]


def model_of(options, layers=2, dtype=torch.float32):
    torch.manual_seed(1)
    m = LanguageModel(17, embedding_dim=12, hidden_size=24, num_layers=layers, **options).to(dtype).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(3)            # sharper distributions, so greedy paths differ between models
    return m


def generic(model, *args, **kwargs):
    model.one_step_weights = lambda: None
    try:
        return generate(model, *args, **kwargs)
    finally:
        del model.one_step_weights


@pytest.mark.parametrize("options", CONFIGS, ids=lambda o: "_".join(map(str, o.values())))
@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_greedy_matches_the_step_loop(options, layers, dtype):
    model = model_of(options, layers, dtype)
    assert native.get() is not None and NativeSampler.of(model) is not None
    prime = [3, 1, 4, 1, 5]
    fast = generate(model, prime, 60, temperature=0)
    if dtype == torch.float64:
        assert fast == generic(model, prime, 60, temperature=0)
    else:
        # float32: each token is the step loop's argmax up to rounding.  Only a short horizon:
        # with these sharpened weights the network is chaotic, and float32 rounding alone sends
        # even the step loop off the float64 trajectory after a few dozen tokens.
        logits, state = model(torch.tensor(prime)[:, None])
        logits = logits[-1, 0]
        for token in fast[:12]:
            assert logits[token] >= logits.max() - 1e-4 * logits.abs().max()
            logits, state = model.step(torch.tensor([token]), state)
            logits = logits[0]
    assert generate(model, prime, 60, temperature=1.0, top_k=1) == fast


def test_sampling_is_seeded_and_respects_filters():
    model = model_of(dict(cell="lstm"))
    a = generate(model, [2], 200, temperature=1.2, generator=torch.Generator().manual_seed(5))
    b = generate(model, [2], 200, temperature=1.2, generator=torch.Generator().manual_seed(5))
    c = generate(model, [2], 200, temperature=1.2, generator=torch.Generator().manual_seed(6))
    assert a == b and a != c and len(a) == 200
    stopped = generate(model, [2], 200, temperature=1.2, stop=a[10], generator=torch.Generator().manual_seed(5))
    assert stopped == a[: a.index(a[10]) + 1]
    # top-k: every sampled token is among the k most likely at its step, as the step loop sees it
    ids = generate(model, [2], 100, temperature=2.0, top_k=3, generator=torch.Generator().manual_seed(1))
    logits, state = model(torch.tensor([2])[:, None])
    logits = logits[-1]
    for token in ids:
        assert token in logits[0].topk(3).indices.tolist()
        logits, state = model.step(torch.tensor([token]), state)


def test_training_mode_uses_the_step_loop():
    model = model_of(dict(cell="lstm")).train()
    assert model.one_step_weights() is None and NativeSampler.of(model) is None


@pytest.mark.parametrize("path", ["native", "step loop"])
def test_banned_ids_are_never_generated(path):
    model = model_of(dict(cell="lstm"))
    run = generate if path == "native" else lambda *a, **k: generic(model, *a[1:], **k)
    free = run(model, [2], 300, temperature=3.0, generator=torch.Generator().manual_seed(0))
    banned = set(free[:40])                          # tokens the model does draw
    assert len(banned) > 3
    ids = run(model, [2], 300, temperature=3.0, generator=torch.Generator().manual_seed(0), banned=banned)
    assert len(ids) == 300 and not banned & set(ids)
    greedy = run(model, [2], 20, temperature=0)
    assert greedy[0] not in run(model, [2], 20, temperature=0, banned={greedy[0]})
