import pytest
import torch

from rnnkit.data import StreamBatches
from rnnkit.models import LanguageModel


@pytest.mark.parametrize("options", [dict(cell="lstm"), dict(cell="gru", reset="before"),
                                     dict(cell="rnn"), dict(cell="lstm", layer_norm=True)])
def test_step_by_step_equals_the_whole_sequence(options):
    torch.manual_seed(0)
    model = LanguageModel(11, embedding_dim=6, hidden_size=8, num_layers=2, **options).eval()
    tokens = torch.randint(0, 11, (9, 3))
    logits, final = model(tokens)
    state = None
    for t in range(9):
        step_logits, state = model.step(tokens[t], state)
        torch.testing.assert_close(step_logits, logits[t])
    for a, b in zip(state if isinstance(state, tuple) else (state,), final if isinstance(final, tuple) else (final,)):
        torch.testing.assert_close(a, b)


def test_tied_weights_and_uniform_init():
    model = LanguageModel(20, embedding_dim=8, hidden_size=8, tie_weights=True, init_range=0.1)
    assert model.output.weight is model.embedding.weight
    assert all(p.abs().max() <= 0.1 for p in model.parameters())
    with pytest.raises(ValueError, match="tie_weights needs embedding_dim == hidden_size"):
        LanguageModel(20, embedding_dim=4, hidden_size=8, tie_weights=True)
    config = LanguageModel(5, cell="gru", reset="before").config   # the older flags name a registered form
    assert config["cell"] == "gru_before" and "reset" not in config


def test_stream_nats_is_the_loss_of_one_long_pass():
    torch.manual_seed(0)
    model = LanguageModel(7, embedding_dim=5, hidden_size=6).eval()
    ids = torch.randint(0, 7, (60,))
    batches = StreamBatches(ids, 1, 8, require_window=False)
    nats, count = model.stream_nats(batches)
    with torch.no_grad():
        logits, _ = model(ids[:-1, None])
    want = torch.nn.functional.cross_entropy(logits[:, 0], ids[1:], reduction="sum")
    assert count == 59 and nats == pytest.approx(float(want), rel=1e-5)
