"""Sequences of vectors end to end below the task level: streams and padded batches of vectors,
the vector front end, the real-value head, a recurrent regression that learns, and decoding that
starts from a state the model provides."""
import pytest
import torch

from rnnkit.data import StreamBatches, pad_batch
from rnnkit.decoding import beam_search, generate
from rnnkit.layers import RealHead, Recurrent, VectorInput
from rnnkit.models import LanguageModel


def test_streams_of_vectors_are_cut_like_token_streams():
    series = torch.arange(2 * 41, dtype=torch.float32).view(41, 2)            # 41 steps of 2 features
    streams = StreamBatches(series, batch_size=4, window=3)
    assert streams.inputs.shape == (10, 4, 2) and len(streams) == 4
    inputs, targets = streams[1]
    assert inputs.shape == (3, 4, 2) and torch.equal(targets[:, 0], series[4:7])   # stream 0, one step later
    assert torch.equal(inputs[:, 1], series[13:16])                                # stream 1 starts at step 10
    ids = StreamBatches(torch.arange(41), batch_size=4, window=3)
    assert torch.equal(ids.inputs, streams.inputs[..., 0].long() // 2)             # the same cut


def test_padded_batch_of_vectors():
    a, b = torch.ones(3, 2), torch.full((1, 2), 5.0)
    x, lengths = pad_batch([a, b])
    assert x.shape == (3, 2, 2) and lengths.tolist() == [3, 1]
    assert torch.equal(x[:, 0], a) and torch.equal(x[0, 1], b[0]) and (x[1:, 1] == 0).all()
    with pytest.raises(ValueError, match="steps of shape"):
        pad_batch([a, torch.ones(2, 3)])
    ids, _ = pad_batch([[1, 2], [3]], 0)
    assert ids.dtype == torch.long and ids.tolist() == [[1, 3], [2, 0]]


def test_head_scores_only_the_real_steps():
    predicted = torch.tensor([[[1.0], [2.0]], [[3.0], [9.0]]])      # [T=2, B=2, 1]
    target = torch.zeros(2, 2, 1)
    total, n = RealHead.squared_error(predicted, target, torch.tensor([2, 1]))
    assert float(total) == 1 + 4 + 9 and n == 3
    with pytest.raises(ValueError, match="differ in shape"):
        RealHead.squared_error(predicted, target[0])
    with pytest.raises(ValueError, match="expected vectors of 3 features"):
        VectorInput(3, 8)(torch.zeros(4, 2, 5))


def test_a_recurrent_regression_learns_the_sum_of_a_sequence():
    """Many-to-one over vectors: read numbers of varying count, predict their sum."""
    torch.manual_seed(0)
    front, rnn, head = VectorInput(1, 16), Recurrent("gru", 16, 32), RealHead(32, 1)
    params = [*front.parameters(), *rnn.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(params, lr=0.01)

    def batch(n=64):
        lengths = torch.randint(1, 9, (n,))
        x = torch.rand(8, n, 1) * (torch.arange(8)[:, None] < lengths[None, :])[..., None]
        return x, lengths, x.sum(0)

    def predict(x, lengths):
        _, h_n = rnn(front(x), lengths=lengths)
        return head(h_n[-1])

    x_test, l_test, y_test = batch(256)
    with torch.no_grad():
        before = float(RealHead.squared_error(predict(x_test, l_test), y_test)[0]) / 256
    for _ in range(300):
        x, lengths, y = batch()
        total, n = RealHead.squared_error(predict(x, lengths), y)
        optimizer.zero_grad()
        (total / n).backward()
        optimizer.step()
    with torch.no_grad():
        after = float(RealHead.squared_error(predict(x_test, l_test), y_test)[0]) / 256
    assert after < 0.02 * before and after < 0.05


def test_decoding_starts_from_a_state_the_model_provides():
    torch.manual_seed(0)
    model = LanguageModel(9, embedding_dim=8, hidden_size=12).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(4)
    states = [tuple(torch.randn(1, 1, 12) * 3 for _ in range(2)) for _ in range(2)]
    a, b = (generate(model, [1], 12, temperature=0, state=s) for s in states)
    assert a != b                                         # the initial state conditions the output
    assert a == generate(model, [1], 12, temperature=0, state=states[0])
    with torch.no_grad():
        logits, _ = model(torch.tensor([[1]]), states[0])
    assert a[0] == int(logits[-1, 0].argmax())
    best = beam_search(model, [1], k=1, max_length=5, state=states[0])[0][0]
    assert best[0] == int(logits[-1, 0].argmax())
