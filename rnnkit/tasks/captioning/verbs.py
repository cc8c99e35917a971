"""``rnnkit caption RUN_DIR IMAGE...``: a caption for each image, and where the model looked for
each word."""
from __future__ import annotations

from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.tasks.base import Output, Verb, load
from rnnkit.tasks.captioning.config import DECODING
from rnnkit.tasks.captioning.decode import caption
from rnnkit.tasks.captioning.images import model_folder, read_images
from rnnkit.tasks.captioning.plots import plot_image_attention
from rnnkit.tasks.options import DEVICE, Option, run_dir_argument


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


VERBS = (
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
