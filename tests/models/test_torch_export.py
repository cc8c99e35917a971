"""torch.export of the task models with the batch size and the sequence lengths left dynamic (with
deltas, and the forecaster's windows, from 3 steps; recordings read in frames of K steps take a
multiple of K steps, from 2K): one program for every size, giving the model's own outputs (the recurrent layers and the
attention decoder run as rnnkit's registered operators)."""
import pytest
import torch
from torch.export import Dim, export

from rnnkit.models import Captioner, LanguageModel, Seq2Seq, SequenceClassifier

pytestmark = pytest.mark.slow   # torch.export traces each model: about 20 s in all

BATCH, STEPS, SOURCE = Dim("batch", min=2, max=256), Dim("steps", min=2, max=256), Dim("source", min=2, max=256)


def same(program, model, *inputs):
    ours, theirs = program.module()(*inputs), model(*inputs)
    for a, b in zip(torch.utils._pytree.tree_leaves(ours), torch.utils._pytree.tree_leaves(theirs)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_language_model():
    torch.manual_seed(0)
    model = LanguageModel(20, embedding_dim=8, hidden_size=8, num_layers=2, cell="gru").eval()
    program = export(model, (torch.randint(0, 20, (6, 3)),), dynamic_shapes=({0: STEPS, 1: BATCH},))
    same(program, model, torch.randint(0, 20, (9, 5)))


@pytest.mark.parametrize("pooling", ["attention", "mean", "max", "last"])
def test_classifier(pooling):
    torch.manual_seed(0)
    model = SequenceClassifier(20, 3, embedding_dim=8, hidden_size=8, pooling=pooling).eval()
    program = export(model, (torch.randint(1, 20, (6, 3)), torch.tensor([6, 2, 4])),
                     dynamic_shapes=({0: STEPS, 1: BATCH}, {0: BATCH}))
    same(program, model, torch.randint(1, 20, (9, 5)), torch.tensor([9, 3, 1, 5, 2]))


@pytest.mark.parametrize("attention", ["general", "additive", "dot", None])
def test_translation_model_with_the_whole_sequence_decoder(attention):
    torch.manual_seed(0)
    model = Seq2Seq(20, 18, embedding_dim=8, hidden_size=8, attention=attention).eval()
    program = export(model, (torch.randint(1, 20, (6, 3)), torch.tensor([6, 2, 4]), torch.randint(1, 18, (5, 3))),
                     dynamic_shapes=({0: SOURCE, 1: BATCH}, {0: BATCH}, {0: STEPS, 1: BATCH}))
    ops = {str(n.target) for n in program.graph.nodes if n.op == "call_function" and "rnnkit" in str(n.target)}
    assert ("rnnkit.attention_decoder.default" in ops) == (attention is not None)
    same(program, model, torch.randint(1, 20, (9, 5)), torch.tensor([9, 3, 1, 5, 2]), torch.randint(1, 18, (4, 5)))


def test_captioner():
    torch.manual_seed(0)
    model = Captioner(9, image_size=(16, 8), embedding_dim=6, hidden_size=10, attention="general",
                      cnn_channels=(4,)).eval()
    images = torch.randint(0, 256, (3, 1, 8, 16), dtype=torch.uint8)
    program = export(model, (images, torch.randint(1, 9, (5, 3))), dynamic_shapes=({0: BATCH}, {0: STEPS, 1: BATCH}))
    same(program, model, torch.randint(0, 256, (4, 1, 8, 16), dtype=torch.uint8), torch.randint(1, 9, (7, 4)))


LONGER = Dim("longer", min=3, max=256)    # with deltas (a difference of steps) torch needs 3 steps or more


def test_recordings_and_clips_classifiers():
    torch.manual_seed(0)
    recordings = SequenceClassifier(0, 3, embedding_dim=8, hidden_size=8, features=2, deltas=True).eval()
    program = export(recordings, (torch.randn(6, 3, 2), torch.tensor([6, 2, 4])),
                     dynamic_shapes=({0: LONGER, 1: BATCH}, {0: BATCH}))
    x = torch.randn(9, 5, 2)
    x[1, 0, 1] = float("nan")
    same(program, recordings, x, torch.tensor([9, 3, 1, 5, 2]))
    framed = SequenceClassifier(0, 3, embedding_dim=8, hidden_size=8, features=2, deltas=True, frame=3,
                                normalize="case").eval()
    program = export(framed, (torch.randn(6, 3, 2), torch.tensor([6, 2, 4])),
                     dynamic_shapes=({0: 3 * Dim("frames", min=2, max=85), 1: BATCH}, {0: BATCH}))
    for steps in (6, 9, 12):                       # whole and part frames of real steps, the missing value of x
        same(program, framed, torch.cat([x, torch.randn(steps - 9, 5, 2)]) if steps > 9 else x[:steps],
             torch.tensor([steps, 3, 1, 5, 2]))
    with pytest.raises(RuntimeError):                  # steps a multiple of the frame: pad the batch to one
        program.module()(x[:7], torch.tensor([7, 3, 1, 5, 2]))
    clips = SequenceClassifier(0, 3, embedding_dim=8, hidden_size=8, image_size=(16, 16), cnn_channels=(4,),
                               deltas=True).eval()
    program = export(clips, (torch.randint(0, 256, (4, 3, 1, 16, 16), dtype=torch.uint8), torch.tensor([4, 2, 3])),
                     dynamic_shapes=({0: LONGER, 1: BATCH}, {0: BATCH}))
    same(program, clips, torch.randint(0, 256, (5, 4, 1, 16, 16), dtype=torch.uint8), torch.tensor([5, 2, 3, 1]))


def test_tracker_and_melody_model():
    from rnnkit.models.melody import MelodyModel
    from rnnkit.models.tracker import Tracker

    torch.manual_seed(0)
    tracker = Tracker(2, image_size=(16, 16), cnn_channels=(4,), hidden_size=8, embedding_dim=8).eval()
    program = export(tracker, (torch.randint(0, 256, (4, 3, 1, 16, 16), dtype=torch.uint8), torch.tensor([4, 2, 3])),
                     dynamic_shapes=({0: STEPS, 1: BATCH}, {0: BATCH}))
    same(program, tracker, torch.randint(0, 256, (5, 4, 1, 16, 16), dtype=torch.uint8), torch.tensor([5, 2, 3, 1]))
    melody = MelodyModel(["1", "1/2"], ["unknown", "4/4"], embedding_dim=8, hidden_size=8).eval()
    events = tuple(torch.randint(0, 2, (5, 3)) for _ in range(3)) + (torch.tensor([1, 0, 1]),)
    program = export(melody, events, dynamic_shapes=({0: STEPS, 1: BATCH},) * 3 + ({0: BATCH},))
    same(program, melody, *(torch.randint(0, 2, (7, 4)) for _ in range(3)), torch.tensor([1, 0, 1, 1]))


def test_tagger():
    """The tagger's batch (``SequenceTagger.encode``'s fields) with every size dynamic: steps, batch,
    the distinct forms and their letters."""
    from rnnkit.data import Vocab
    from rnnkit.models.tagger import SequenceTagger, TaggerBatch

    class Tagging(torch.nn.Module):
        def __init__(self, tagger):
            super().__init__()
            self.tagger = tagger

        def forward(self, words, lengths, chars, char_lengths, form_index):
            return self.tagger(TaggerBatch(words, lengths, chars, char_lengths, form_index, None, None))[0]

    torch.manual_seed(0)
    vocab, chars = Vocab([f"w{k}" for k in range(16)]), Vocab(list("w0123456789"))
    tagger = SequenceTagger(len(vocab), len(chars), 5, embedding_dim=8, char_dim=4, char_hidden=4, hidden_size=8)
    model = Tagging(tagger.eval())
    forms, letters = Dim("forms", min=2, max=256), Dim("letters", min=2, max=64)
    first = tagger.encode([["w1", "w2", "w3"], ["w4", "w5"], ["w1"]], vocab, chars)
    program = export(model, tuple(first[:5]), dynamic_shapes=({0: STEPS, 1: BATCH}, {0: BATCH}, {0: letters, 1: forms},
                                                               {0: forms}, {0: STEPS, 1: BATCH}))
    same(program, model, *tagger.encode([["w1", "w2", "w3", "w9"], ["w4", "w5"], ["w1"], ["w12", "w13"]], vocab,
                                        chars)[:5])


@pytest.mark.parametrize("options", [{"season": 12}, {"season": 1, "log": True}, {"season": 12, "decoder": False},
                                     {"season": 12, "drift": True}, {"season": 1, "drift": True}],
                         ids=["seasonal", "log", "direct", "drift", "drift-no-season"])
def test_forecaster(options):
    """``Forecaster.forecast`` on windows of any number and width (from 3 values: the scaling reads
    the changes between steps)."""
    import math

    from rnnkit.models import Forecaster
    from rnnkit.models.forecaster import Windows, windows

    class Forecasting(torch.nn.Module):
        def __init__(self, forecaster):
            super().__init__()
            self.forecaster = forecaster

        def forward(self, history, lengths, start):
            return self.forecaster.forecast(Windows(history, lengths, start))

    torch.manual_seed(0)
    model = Forecasting(Forecaster(4, hidden_size=8, **options).eval())
    w = windows([[100.0 + k for k in range(30)], [50.0, math.nan, 70.0] + [60.0 + k for k in range(27)], [7.0] * 30],
                [0, 5, 11])
    program = export(model, tuple(w[:3]), dynamic_shapes=({0: BATCH, 1: LONGER}, {0: BATCH}, {0: BATCH}))
    same(program, model, *windows([[100.0 + k for k in range(40)], [5.0] * 17, [7.0, 8.0], [1.0] * 40],
                                  [0, 5, 11, 2])[:3])
