"""Image captioning (one-to-many): a small CNN reads the image, a recurrent decoder writes the
caption from [START] to [END]."""
from __future__ import annotations

import dataclasses
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.data import ReversibleWordTokenizer, SentenceBatches, Vocab, hold_out, pad_batch
from rnnkit.data.images import ImageFolder, is_colour, native_size, parse_size, read_captions
from rnnkit.decoding import caption
from rnnkit.devices import device_of, to_device
from rnnkit.errors import RnnkitError
from rnnkit.layers.attention import SCORES
from rnnkit.models import Captioner
from rnnkit.tasks.base import Output, Prepared, Task, Verb, load, load_weights, parameters, write_export
from rnnkit.tasks.budget import Budget, batch_for, reading
from rnnkit.tasks.config import RecurrentConfig, TrainingConfig
from rnnkit.tasks.options import (DEVICE, Option, channel_list, held_out, image_size, like, non_negative_float, option,
                                  positive_float, positive_int, run_dir_argument, valid_fraction_option)
from rnnkit.training import caption_metrics, format_caption_metrics, perplexity, plot_image_attention

IMAGE_PIXELS = 128 * 128    # the default image size's cap: the CNN costs in proportion to the pixels
CAPTIONS_READ = 64_000      # captions a default run reads (2,000 steps at batch 32); 20 validations (greedy BLEU)
BUDGET = Budget(CAPTIONS_READ, max_epochs=300, min_steps=600, evaluations=20)


@dataclass
class CaptionConfig(RecurrentConfig, TrainingConfig):
    images: str = option(None, "folder of the images (PNG, JPEG, ... or IDX files, an image of which is named "
                               "FILE#K)", required=True, metavar="DIR", group="data")
    captions: str = option(None, "training captions: IMAGE<TAB>CAPTION per line, IMAGE a path under --images; an "
                                 "image may have several lines; an optional header", required=True, metavar="FILE",
                           group="data")
    valid_captions: str | None = option(None, "validation captions, same layout (images under --images)",
                                        metavar="FILE", group="data", exclusive="valid")
    valid_fraction: float | None = valid_fraction_option(
        "hold out this random fraction of the training images with all their captions", "--valid-captions")
    image_size: str | None = option(None, "every image is letterboxed (scaled with its aspect ratio kept, the rest "
                                          "filled with its border colour) to N x N or WIDTHxHEIGHT pixels (default: "
                                          "the images' own size, never scaled up, scaled down to at most "
                                          f"{IMAGE_PIXELS:,} pixels)", type=image_size, metavar="SIZE", group="data")
    min_freq: int = option(1, "keep caption words seen at least this often (others become <unk>)",
                           type=positive_int, group="data")
    max_length: int = option(50, "caption tokens; longer captions are truncated (with one warning), and no "
                                 "caption written is longer", type=positive_int, group="data")
    hidden: int = like(256, help="decoder units per layer")
    dropout: float = like(0.2)
    embedding: int = option(64, "word embedding size", type=positive_int, group="model")
    attention: str = option("general", "none: the image reaches the decoder through its initial state only (the "
                                       "lectures' model); dot, general or additive: the decoder also attends to the "
                                       "image regions at every word (Xu et al. 2015)", choices=(*SCORES, "none"),
                            group="model")
    cnn_channels: str = option("16,32,64", "channels of each CNN block (each block halves the image)",
                               type=channel_list, metavar="C,C,...", group="model")
    coverage: float = option(0.0, "with --attention: weight of a training penalty on reading one image region "
                                  "for more than one word (against words read twice)", type=non_negative_float,
                             metavar="WEIGHT", group="model")
    elastic: float = option(0.0, "training-time elastic distortion (Simard et al. 2003): each image bends by a smooth "
                                 "random field moving its pixels by about this many pixels (root mean square; 0: "
                                 "off); a fresh variant of each image at every epoch, against learning a small "
                                 "set of handwriting by heart", type=non_negative_float, metavar="PIXELS",
                         group="model")
    elastic_sigma: float = option(4.0, "with --elastic: smoothness of the field, in pixels (larger: whole shapes "
                                       "bend; smaller: each stroke wobbles)", type=positive_float, metavar="PIXELS",
                                  group="model")
    batch_size: int | None = like(None, help="captions per batch (default: about an eighth of the training "
                                             "captions, 4 to 32)")
    epochs: int | None = like(None, help="passes over the training captions (default: from their count, and the "
                                         "run stops when the validation BLEU stops improving)")


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
    Config, model_class = CaptionConfig, Captioner
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
        from rnnkit.models.onnx import STATE_NAMES, captioner_encoder, decoder_interface, decoder_step

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


@dataclass
class Captioned:
    """Images (``uint8 [N, C, H, W]``) and the reference captions of each."""
    images: torch.Tensor
    references: list[list[str]]


class Collate:
    """A batch of (image index, caption ids) as ``(images [B, C, H, W] bytes, tgt_in [T, B] = <bos> y,
    tgt_out [T, B] = y <eos>)``."""

    def __init__(self, pixels: torch.Tensor):
        self.pixels = pixels

    def __call__(self, examples):
        tgt_in, _ = pad_batch([[Vocab.bos_id, *ids] for _, ids in examples], Vocab.pad_id)
        tgt_out, _ = pad_batch([[*ids, Vocab.eos_id] for _, ids in examples], Vocab.pad_id)
        return self.pixels[[k for k, _ in examples]], tgt_in, tgt_out


def read_images(folder: ImageFolder, names: list[str]) -> torch.Tensor:
    """The images ``names`` of ``folder`` as one ``uint8 [N, C, H, W]`` tensor."""
    if not names:
        return torch.zeros(0, folder.channels, folder.size[1], folder.size[0], dtype=torch.uint8)
    return torch.stack([folder.read(name) for name in names])


def model_folder(model: Captioner, root) -> ImageFolder:
    """A folder read at the size and with the channels the model was trained on."""
    return ImageFolder(root, tuple(model.config["image_size"]), model.config["image_channels"])


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


def _caption(args) -> Output:
    model = load(args.run_dir, args.device, task="caption")
    if args.attention_map and model.attention is None:
        raise RnnkitError(f"{args.run_dir}: the model was trained with --attention none; it has no attention over the "
                          "image to draw")
    folder = model_folder(model, ".")
    images = read_images(folder, args.images)
    results = caption(model, images, beam_size=args.beam, batch_size=args.batch_size)
    out = Output("".join(f"{name}\t{r.text}\n" for name, r in zip(args.images, results)))
    if args.attention_map:
        grid = (model.cnn.map_height, model.cnn.map_width)
        for k, (name, r) in enumerate(zip(args.images, results), 1):
            path = Path(args.attention_map) / f"{k:03d}-{Path(name.split('#')[0]).stem}.png"
            plot_image_attention(images[k - 1], r.attention, grid, r.tokens, path, r.text)
            out.notes.append(f"attention map: {path}")
    return out


DECODING = (
    Option("beam size (1: greedy decoding)", flags=("--beam",), dest="beam", type=positive_int, default=5),
    Option("images captioned together", flags=("--batch-size",), dest="batch_size", type=positive_int, default=64))

CaptionTask.evaluate_options = (
    Option("folder of the test images", flags=("--images",), dest="images", metavar="DIR", required=True),
    Option("test captions: IMAGE<TAB>CAPTION per line, the references of each image", flags=("--captions",),
           dest="captions", metavar="FILE", required=True),
    *DECODING)

CaptionTask.verbs = (
    Verb("caption", "write a caption for each image with a trained captioner",
         "Caption each IMAGE (a path; FILE#K for the K-th image of an IDX file) and print PATH<TAB>CAPTION per "
         "image, in order. With --attention-map, also draw where the model looked for each word (a model trained "
         "with --attention).",
         (run_dir_argument("caption"),
          Option("image file(s)", flags=("images",), dest="images", nargs="+", metavar="IMAGE"),
          Option("write one PNG per image into this folder: the image, then its attention for each word",
                 flags=("--attention-map",), dest="attention_map", metavar="DIR"),
          *DECODING, DEVICE),
         _caption),)
