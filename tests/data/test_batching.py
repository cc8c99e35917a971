import pytest
import torch

from rnnkit.data import SentenceBatches, StreamBatches, length_buckets, pad_batch
from rnnkit.errors import DataError


def test_streams_are_contiguous_across_windows():
    ids = torch.arange(101)
    b = StreamBatches(ids, batch_size=4, window=7)
    assert b.length == 25 and len(b) == 4 and b.num_tokens == 100
    stream_inputs = torch.cat([b[k][0] for k in range(len(b))])      # [25, 4]
    stream_targets = torch.cat([b[k][1] for k in range(len(b))])
    for row in range(4):
        assert stream_inputs[:, row].tolist() == list(range(25 * row, 25 * row + 25))
        assert stream_targets[:, row].tolist() == list(range(25 * row + 1, 25 * row + 26))
    assert b[3][0].shape == (4, 4)   # the last window is shorter
    with pytest.raises(IndexError):
        b[4]


def test_text_shorter_than_one_window():
    with pytest.raises(DataError, match="fewer than one window of 50"):
        StreamBatches(torch.arange(30), 2, 50, name="tiny.txt")
    short = StreamBatches(torch.arange(30), 1, 50, require_window=False)
    assert short.num_tokens == 29
    with pytest.raises(DataError, match="at least two"):
        StreamBatches(torch.arange(1), 1, 5, require_window=False)


def test_length_buckets_group_similar_lengths():
    lengths = [5, 1, 9, 2, 8, 1, 7, 3]
    batches = length_buckets(lengths, 2, generator=torch.Generator().manual_seed(0))
    assert sorted(i for b in batches for i in b) == list(range(8))
    for b in batches:
        assert max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 2
    assert length_buckets(lengths, 3, shuffle=False) == [[1, 5, 3], [7, 0, 6], [4, 2]]


def test_sentence_batches_without_buckets_mix_the_lengths():
    """lengths=None: batches drawn at random, whatever the lengths (for BatchNorm models whose
    lengths tell the answer), each epoch in its own order, the same for the same seed."""
    lengths = [1] * 40 + [4] * 40

    def spans(bucket, epoch=0, seed=0):
        batches = SentenceBatches(list(range(80)), lengths if bucket else None, 8, lambda rows: rows,
                                  seed=seed).epoch(epoch)
        return [sorted(b) for b in batches], {len({lengths[i] for i in b}) for b in batches}
    bucketed, kinds = spans(True)
    assert kinds == {1}                                   # by length: every batch of one length
    mixed, kinds = spans(False)
    assert 2 in kinds                                     # at random: lengths mixed within batches
    assert sorted(i for b in mixed for i in b) == list(range(80))
    assert spans(False) == (mixed, kinds) and spans(False, epoch=1)[0] != mixed and spans(False, seed=1)[0] != mixed


def test_pad_batch():
    ids, lengths = pad_batch([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 8], [6, 0], [7, 0]] and lengths.tolist() == [3, 1]


def test_length_buckets_on_pairs_of_lengths():
    """(target, source) keys: each batch shares its target length where the data allows."""
    keys = [(t, s) for t in (3, 5, 9) for s in (1, 2, 3, 4)] * 2      # 8 of each target length
    batches = length_buckets(keys, 8, generator=torch.Generator().manual_seed(1))
    assert sorted(i for b in batches for i in b) == list(range(len(keys)))
    assert all(len({keys[i][0] for i in b}) == 1 for b in batches)


def test_hold_out_is_seeded_keeps_the_order_and_covers_every_row():
    from rnnkit.data import hold_out

    rows = list(range(50))
    kept, held = hold_out(rows, 0.2, seed=3)
    assert len(held) == 10 and sorted(kept + held) == rows
    assert kept == sorted(kept) and held == sorted(held)
    assert hold_out(rows, 0.2, seed=3) == (kept, held) and hold_out(rows, 0.2, seed=4) != (kept, held)
    assert hold_out(rows, 0.0, seed=3) == (rows, [])


def test_a_stratified_hold_out_keeps_every_class_in_training():
    from rnnkit.data import stratified_hold_out

    labels = [0] * 10 + [1] * 5 + [2] * 2 + [3]
    held = stratified_hold_out(labels, 0.2, seed=1)
    assert [labels[k] for k in held] == [0, 0, 1]                # a fifth of each class, rounded; none of 2 or 3
    assert held == stratified_hold_out(labels, 0.2, seed=1) != stratified_hold_out(labels, 0.2, seed=2)
    assert [labels[k] for k in stratified_hold_out(labels, 0.2, seed=1, at_least=1)] == [0, 0, 1, 2]
    assert len(stratified_hold_out(labels, 1.0, seed=0)) == 9 + 4 + 1   # never all of a class


def test_stratified_folds_spread_each_class_over_the_folds():
    from rnnkit.data import stratified_folds

    labels = [0] * 9 + [1] * 2 + [2] * 4 + [3]
    fold = stratified_folds(labels, 3, seed=1)
    for label, count in ((0, 9), (1, 2), (2, 4)):
        of_label = [f for f, x in zip(fold, labels) if x == label]
        assert max(of_label.count(k) for k in range(3)) - min(of_label.count(k) for k in range(3)) <= 1
        assert len(of_label) == count and -1 not in of_label
    assert fold[-1] == -1                                       # a class's only case trains in every fold
    assert sorted(fold.count(k) for k in range(3)) == [5, 5, 5]   # the folds take turns between classes
    assert fold == stratified_folds(labels, 3, seed=1) != stratified_folds(labels, 3, seed=2)
