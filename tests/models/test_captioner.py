"""The captioner: the CNN encoder's outputs, teacher-forced decoding equal to step-by-step
decoding, that it learns to caption small made-up images, with and without attention."""
import pytest
import torch

from rnnkit.data import ReversibleWordTokenizer, Vocab
from rnnkit.tasks.captioning.decode import caption
from rnnkit.layers.images import ImageEncoder
from rnnkit.models import Captioner


def test_the_encoder_gives_a_vector_and_regions_with_their_coordinates():
    encoder = ImageEncoder(1, 16, 32, channels=(4, 8))
    vector, regions = encoder(torch.rand(3, 1, 16, 32))
    assert vector.shape == (3, 16 * 4 * 8) and regions.shape == (4 * 8, 3, 8 + 2)
    torch.testing.assert_close(regions[0, 0, -2:], torch.tensor([-1.0, -1.0]))    # top left
    torch.testing.assert_close(regions[-1, 2, -2:], torch.tensor([1.0, 1.0]))     # bottom right
    with pytest.raises(ValueError, match=r"images must be \[batch, 1, 16, 32\]"):
        encoder(torch.rand(3, 1, 32, 16))
    with pytest.raises(ValueError, match="halve"):
        ImageEncoder(1, 4, 4, channels=(4, 4, 4))


@pytest.mark.parametrize("attention,cell", [(None, "lstm"), ("general", "gru"), ("additive", "lstm"), ("dot", "lstm")])
def test_teacher_forcing_equals_one_step_at_a_time(attention, cell):
    torch.manual_seed(0)
    model = Captioner(9, image_size=(16, 8), embedding_dim=6, hidden_size=10, num_layers=2, cell=cell,
                      attention=attention, cnn_channels=(4,)).eval()
    images = torch.randint(0, 256, (3, 1, 8, 16), dtype=torch.uint8)
    tgt_in = torch.randint(1, 9, (5, 3))
    logits, weights = model(images, tgt_in)
    state = model.encode(images)
    for t in range(5):
        step_logits, state = model.step(tgt_in[t], state)
        torch.testing.assert_close(step_logits, logits[t], atol=1e-5, rtol=1e-4)
        if attention:
            torch.testing.assert_close(state.attention, weights[t])
    assert (weights is None) == (attention is None)


def test_dot_attention_maps_the_regions_to_the_decoder_size_only_where_they_differ():
    """The dot score compares the decoder state with each region: 4 channels + 2 coordinates = 6."""
    different = Captioner(9, image_size=(16, 8), hidden_size=10, attention="dot", cnn_channels=(4,))
    assert (different.region_proj.in_features, different.region_proj.out_features) == (6, 10)
    assert different.encode(torch.zeros(2, 1, 8, 16)).memory.states.shape == (8 * 4, 2, 10)   # one block: 8 x 4 regions
    assert Captioner(9, image_size=(16, 8), hidden_size=6, attention="dot", cnn_channels=(4,)).region_proj is None
    assert Captioner(9, image_size=(16, 8), hidden_size=10, attention="general", cnn_channels=(4,)).region_proj is None


def scenes(n, seed):
    """8 x 16 noisy grey images with a bright bar on the left, the right or both halves."""
    g = torch.Generator().manual_seed(seed)
    images, texts = torch.randint(0, 100, (n, 1, 8, 16), generator=g, dtype=torch.uint8), []
    for k in range(n):
        where = ["left", "right", "left right"][int(torch.randint(0, 3, (1,), generator=g))]
        for side in where.split():
            x = int(torch.randint(0, 2, (1,), generator=g)) + (2 if side == "left" else 10)
            images[k, 0, 1:7, x : x + 3] = 255
        texts.append(f"a bar {where}")
    return images, texts


@pytest.mark.parametrize("attention", [None, "general"])
def test_it_learns_to_caption_and_beam_search_reads_it(attention):
    torch.manual_seed(0)
    tokenizer = ReversibleWordTokenizer()
    images, texts = scenes(96, 0)
    vocab = Vocab.build(w for t in texts for w in tokenizer.tokenize(t))
    model = Captioner(len(vocab), image_size=(16, 8), embedding_dim=8, hidden_size=24, attention=attention,
                      dropout=0.0, cnn_channels=(8, 8), vocab=vocab, tokenizer=tokenizer, max_length=8)
    ids = [vocab.encode(tokenizer.tokenize(t)) for t in texts]
    length = max(map(len, ids))
    tgt_in = torch.tensor([[Vocab.bos_id, *i] + [0] * (length - len(i)) for i in ids]).t()
    tgt_out = torch.tensor([[*i, Vocab.eos_id] + [0] * (length - len(i)) for i in ids]).t()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(60):
        optimizer.zero_grad()
        nats, count = model.loss(images, tgt_in, tgt_out)
        (nats / count).backward()
        optimizer.step()
    test_images, test_texts = scenes(30, 1)
    for beam in (1, 3):
        results = caption(model, test_images, beam_size=beam)
        assert sum(r.text == t for r, t in zip(results, test_texts)) >= 27
    if attention:
        assert results[0].attention.shape == (len(results[0].tokens) + 1, 4 * 2)


def test_the_coverage_penalty_counts_attention_beyond_one_word_per_region_in_training_only():
    torch.manual_seed(0)
    model = Captioner(9, image_size=(16, 8), embedding_dim=6, hidden_size=10, attention="general", coverage=0.5,
                      cnn_channels=(4, 4))
    images = torch.randint(0, 256, (3, 1, 8, 16), dtype=torch.uint8)
    tgt_in, tgt_out = torch.randint(1, 9, (12, 3)), torch.randint(1, 9, (12, 3))   # 12 words over 8 regions
    tgt_out[8:, 0] = 0                                        # a shorter caption: its padding reads nothing
    model.eval()
    logits, attention = model(images, tgt_in)
    nats, count = model.loss(images, tgt_in, tgt_out)
    torch.testing.assert_close(nats, model.nats(logits, tgt_out)[0])          # eval: the plain loss
    model.train()
    torch.manual_seed(1)
    with_penalty, _ = model.loss(images, tgt_in, tgt_out)
    torch.manual_seed(1)
    logits, attention = model(images, tgt_in)
    read = (attention * (tgt_out != 0)[..., None]).sum(0)
    expected = model.nats(logits, tgt_out)[0] + 0.5 * torch.clamp(read - 1, min=0).pow(2).sum()
    torch.testing.assert_close(with_penalty, expected)
    assert float(torch.clamp(read - 1, min=0).sum().detach()) > 0            # the penalty is not zero here
    with pytest.raises(ValueError, match="coverage penalises attention"):
        Captioner(9, image_size=(16, 8), attention=None, coverage=0.5, cnn_channels=(4,))


def test_elastic_distortion_bends_the_images_in_training_only():
    """With ``elastic`` the CNN sees each training image bent by a fresh field (the logits change
    from draw to draw without dropout); evaluation reads the image as it is; the setting is kept
    in the config, and a config without it (an earlier run's) means none."""
    torch.manual_seed(0)
    model = Captioner(9, image_size=(16, 8), embedding_dim=6, hidden_size=10, dropout=0.0, cnn_channels=(4,),
                      elastic=1.5, elastic_sigma=2.0)
    plain = Captioner(**{k: v for k, v in model.config.items() if not k.startswith("elastic")})
    plain.load_state_dict(model.state_dict())
    assert model.config["elastic"] == 1.5 and model.config["elastic_sigma"] == 2.0 and "elastic" not in plain.config
    images, tgt_in = torch.randint(0, 256, (3, 1, 8, 16), dtype=torch.uint8), torch.randint(1, 9, (4, 3))
    model.eval(), plain.eval()
    torch.testing.assert_close(model(images, tgt_in)[0], plain(images, tgt_in)[0])
    model.train(), plain.train()          # batch norm in training mode in both: only the distortion differs
    first, second, unbent = model(images, tgt_in)[0], model(images, tgt_in)[0], plain(images, tgt_in)[0]
    assert not torch.allclose(first, second) and not torch.allclose(first, unbent)
