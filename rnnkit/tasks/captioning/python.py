"""The captioner from Python: its data, ``(images, captions)``, the images as Pillow images or
arrays ``[height, width(, 1 or 3)]`` (bytes, or values in [0, 1]; written as PNG files) and each
image's caption a string or a list of strings (several references); and the trained captioner's
``predict``: a caption for each image, as ``rnnkit caption`` writes it."""
from __future__ import annotations

import tempfile
from pathlib import Path

from rnnkit.errors import RnnkitError
from rnnkit.models import Captioner
from rnnkit.tasks.captioning.decode import caption
from rnnkit.tasks.captioning.images import model_folder, read_images
from rnnkit.tasks.captioning.verbs import VERBS
from rnnkit.tasks.python import examples_of, one_line, pair_of_lists, write_file, write_images
from rnnkit.tasks.trained import Trained


class TrainedCaptioner(Trained, Captioner):
    """A trained image captioner."""

    def predict(self, inputs, **options) -> list[str]:
        """A caption for each image of ``inputs`` (a list of Pillow images or arrays, or an array
        ``[images, height, width(, channels)]``).  ``options``: ``beam`` and ``batch_size``, as for
        ``rnnkit caption``."""
        s = self.settings(options, VERBS[0], ("beam", "batch_size"))
        with tempfile.TemporaryDirectory(prefix="rnnkit-images-") as folder:
            names = write_images(Path(folder), examples_of(inputs, "inputs"), "", "inputs")
            images = read_images(model_folder(self, folder), names)
        return [c.text for c in caption(self, images, beam_size=s.beam, batch_size=s.batch_size)]


def data_files(data, valid, folder: Path) -> dict:
    """``images/`` with ``train-captions.tsv`` (and ``valid-captions.tsv``) in ``folder``: the
    options ``images``, ``captions`` and ``valid_captions``."""
    options = {}
    for role, given, option in (("data", data, "captions"), ("valid", valid, "valid_captions")):
        if given is None:
            continue
        images, captions = pair_of_lists(given, "images", "captions", role)
        names = write_images(folder / "images", images, "" if role == "data" else "valid-", role)
        rows = ["image\tcaption"]
        for k, (name, references) in enumerate(zip(names, captions)):
            references = [references] if isinstance(references, str) else list(references)
            if not references:
                raise RnnkitError(f"{role}: image {k} has no caption (an empty list)")
            rows += [f"{name}\t{one_line(text, f'{role}: caption of image', k)}" for text in references]
        options.update({"images": str(folder / "images"),
                        option: write_file(folder, f"{role}-captions.tsv", "".join(row + "\n" for row in rows))})
    return options
