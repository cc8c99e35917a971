"""Image captioning (one-to-many with attention): a CNN reads the image, a decoder writes the
caption word by word from [START] to [END], looking at the image's regions."""
from __future__ import annotations

import dataclasses
import time
import warnings

import torch

from rnnkit.data import ReversibleWordTokenizer, SentenceBatches, Vocab, hold_out
from rnnkit.data.images import ImageFolder, is_colour, native_size, parse_size, read_captions
from rnnkit.devices import device_of, to_device
from rnnkit.errors import RnnkitError
from rnnkit.models import Captioner
from rnnkit.tasks.base import Prepared, Task, load_weights, parameters, write_export
from rnnkit.tasks.budget import batch_for, reading
from rnnkit.tasks.captioning import python
from rnnkit.tasks.captioning.config import BUDGET, DECODING, IMAGE_PIXELS, CaptionConfig
from rnnkit.tasks.captioning.decode import caption
from rnnkit.tasks.captioning.images import Captioned, Collate, model_folder, read_images
from rnnkit.tasks.captioning.metrics import caption_metrics, format_caption_metrics
from rnnkit.tasks.captioning.verbs import VERBS
from rnnkit.tasks.options import Option, check_cnn_fits, held_out
from rnnkit.training import perplexity


class CaptionTask(Task):
    name, noun = "caption", "captioner"
    help = "train an image captioner (one-to-many) on images and captions"
    description = ("Train an image captioner: a small CNN, trained from scratch (no pretrained weights), reads "
                   "the image; a recurrent decoder writes the caption from [START] to [END]. Input: a folder of "
                   "images (PNG, JPEG and whatever Pillow reads, grey or colour; or IDX files, whose K-th image is "
                   "FILE#K) and a TSV file of IMAGE<TAB>CAPTION lines. Images are read at their own size (capped) or "
                   "letterboxed to --image-size; "
                   "they are read as colour if any training image has colour. The run keeps the best model on "
                   "validation BLEU-4 (greedy decoding).")
    Config, model_class = CaptionConfig, python.TrainedCaptioner
    data_files = staticmethod(python.data_files)
    test_options = {"valid_captions": "captions"}
    verbs = VERBS
    exports = "a captioner gives encoder.onnx and decoder_step.onnx"
    evaluate_options = (
        Option("folder of the test images", flags=("--images",), dest="images", metavar="DIR", required=True),
        Option("test captions: IMAGE<TAB>CAPTION per line, the references of each image", flags=("--captions",),
               dest="captions", metavar="FILE", required=True),
        *DECODING)
    files = ("vocab.json",)
    select, maximize = "bleu", True
    evaluate_help = "a captioner gives BLEU-4 and exact match (--images DIR --captions FILE)"

    def prepare(self, run) -> Prepared:
        c = self.config
        probe = ImageFolder(c.images, (1, 1), 1)     # names and sizes, before the image size is settled
        train = read_captions(c.captions, probe)
        size = parse_size(c.image_size) if c.image_size else native_size(
            [probe.open(name).size for name in train.images], least=2 ** len(c.cnn_channels.split(",")),
            most_pixels=IMAGE_PIXELS)
        check_cnn_fits(size, c.cnn_channels)
        grey = ImageFolder(c.images, size, 1)
        if run is None:   # colour where any training image has colour
            channels = 3 if any(is_colour(grey.open(name)) for name in train.images) else 1
        else:
            channels = run.read_config()["data"]["channels"]
        folder = ImageFolder(c.images, size, channels)
        tokenizer = ReversibleWordTokenizer()
        if c.valid_captions:
            valid = read_captions(c.valid_captions, folder)
            valid_images, valid_refs = valid.images, valid.captions
            train_images, train_refs = train.images, train.captions
        else:   # a seeded random hold-out of whole images, in file order
            fraction = held_out(c.valid_fraction)
            kept, held = hold_out(list(zip(train.images, train.captions)), fraction, c.seed)
            train_images, train_refs = [n for n, _ in kept], [r for _, r in kept]
            valid_images, valid_refs = [n for n, _ in held], [r for _, r in held]
        if run is None:
            vocab = Vocab.build((w for refs in train_refs for text in refs for w in tokenizer.tokenize(text)),
                                min_freq=c.min_freq)
        else:
            vocab = Vocab.load(run.path / "vocab.json")
        pixels = read_images(folder, train_images)
        examples, long = [], 0
        for k, refs in enumerate(train_refs):
            for text in refs:
                tokens = tokenizer.tokenize(text)
                long += len(tokens) > c.max_length
                examples.append((k, vocab.encode(tokens[: c.max_length])))
        if long:
            warnings.warn(f"{c.captions}: {long} caption(s) longer than {c.max_length} tokens were truncated "
                          "(raise --max-length to keep them whole)")
        c = dataclasses.replace(c, image_size=f"{size[0]}x{size[1]}",
                                batch_size=c.batch_size or batch_for(len(examples), 32))
        training = BUDGET.length(len(examples), c)
        if c.coverage and c.attention == "none":
            raise RnnkitError("--coverage penalises attention; give --attention dot, general or additive with it")
        options = c.recurrent_options()
        model = Captioner(len(vocab), image_size=size, image_channels=channels, embedding_dim=c.embedding,
                          attention=None if c.attention == "none" else c.attention, coverage=c.coverage,
                          elastic=c.elastic, elastic_sigma=c.elastic_sigma,
                          cnn_channels=tuple(int(x) for x in c.cnn_channels.split(",")), vocab=vocab,
                          tokenizer=tokenizer, max_length=c.max_length, **options)
        # batches at random, not by caption length: the CNN's BatchNorm would read the length (the
        # number of things to name) from the statistics of a batch of one length in training only
        batches = SentenceBatches(examples, None, c.batch_size, Collate(pixels), seed=c.seed)
        valid = Captioned(read_images(folder, valid_images), valid_refs) if valid_images else None
        description = (f"{c.cell.upper()} captioner, attention {c.attention}: "
                       f"{parameters(model)}, {size[0]}x{size[1]} "
                       f"{'colour' if channels == 3 else 'grey'} images, vocabulary {len(vocab):,}, "
                       f"{len(train_images):,} training images ({len(examples):,} captions) and "
                       f"{len(valid_images):,} validation images, batch {c.batch_size}; {reading(training)}, "
                       f"validating every {training['eval_every']} steps and stopping after {training['patience']} "
                       "without improvement")
        data = {"channels": channels, "resolved": {"image_size": c.image_size, "batch_size": c.batch_size},
                "training": training}
        return Prepared(model, batches.epoch, valid, data, description, training=training)

    @classmethod
    def export(cls, model, folder):
        """``encoder.onnx`` (images -> the decoder's first state and the regions as its memory) and
        ``decoder_step.onnx`` (one caption token per image -> its logits and the next state): greedy
        or beam search outside Python, as ``rnnkit caption`` does, from ``<bos>`` to ``<eos>``."""
        from rnnkit.models.onnx import STATE_NAMES, decoder_interface, decoder_step
        from rnnkit.tasks.captioning.export import captioner_encoder

        states = list(STATE_NAMES[: model.decoder.cell.num_states])
        width, height = model.config["image_size"]
        return write_export(folder, {"encoder.onnx": captioner_encoder(model), "decoder_step.onnx": decoder_step(model)},
                            {"task": cls.name, "image_size": [width, height], "channels": model.config["image_channels"],
                             "max_length": model.max_length, "vocabulary": model.vocab.tokens,
                             "specials": {"pad": Vocab.pad_id, "unknown": Vocab.unk_id, "bos": Vocab.bos_id,
                                          "eos": Vocab.eos_id},
                             "encoder": {"inputs": ["images"],
                                         "outputs": [*states, *(["memory", "keys", "mask"] if model.attention else [])],
                                         "how": "images [batch, channels, height, width] uint8, letterboxed to "
                                                "image_size as rnnkit reads them"},
                             "decoder_step": decoder_interface(model)})

    def loss(self, model, batch, carry, step):
        return (*model.loss(*batch), None)

    def validate(self, model, valid) -> dict:
        return {**teacher_forced_loss(model, valid), **score(model, valid, beam_size=1)}

    def result(self, run, prepared, summary):
        if prepared.valid is None:
            return "no validation data", []
        return f"best validation BLEU-4 {summary['best_valid']:.2f}", []

    def save(self, run, prepared) -> None:
        prepared.model.vocab.save(run.path / "vocab.json")

    @classmethod
    def load(cls, run, config, device):
        return load_weights(cls, run, config, device, vocab=Vocab.load(run.path / "vocab.json"),
                            tokenizer=ReversibleWordTokenizer())

    @classmethod
    def evaluate(cls, model, args):
        """BLEU-4 and exact match of the captions of ``--images`` named in ``--captions`` against
        all the references of each image."""
        folder = model_folder(model, args.images)
        data = read_captions(args.captions, folder)
        start = time.perf_counter()
        metrics = score(model, Captioned(read_images(folder, data.images), data.captions), beam_size=args.beam,
                        batch_size=args.batch_size)
        seconds = time.perf_counter() - start
        return {**metrics, "images": len(data.images), "beam": args.beam, "seconds": seconds}, []

    format_metrics = staticmethod(format_caption_metrics)


def score(model, data: Captioned, beam_size: int, batch_size: int = 64) -> dict:
    results = caption(model, data.images, beam_size=beam_size, batch_size=batch_size)
    return caption_metrics([r.text for r in results], data.references)


@torch.no_grad()
def teacher_forced_loss(model: Captioner, data: Captioned, batch_size: int = 64) -> dict:
    """The validation loss of every reference caption, in nats per token."""
    examples = [(k, model.vocab.encode(model.tokenizer.tokenize(text)[: model.max_length]))
                for k, refs in enumerate(data.references) for text in refs]
    collate, nats, count = Collate(data.images), 0.0, 0
    for start in range(0, len(examples), batch_size):
        n, c = model.loss(*to_device(collate(examples[start : start + batch_size]), device_of(model)))
        nats, count = nats + float(n), count + c
    return {"loss": nats / max(count, 1), "perplexity": perplexity(nats / max(count, 1))}
