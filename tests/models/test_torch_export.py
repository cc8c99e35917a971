"""torch.export of the task models with the batch size and the sequence lengths left dynamic: one
program for every size, giving the model's own outputs (the recurrent layers and the attention
decoder run as rnnkit's registered operators)."""
import pytest
import torch
from torch.export import Dim, export

from rnnkit.models import Captioner, LanguageModel, Seq2Seq, SequenceClassifier

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
