"""Images and caption files: letterboxing, grey and colour, IDX images by index, and the errors
that name the file and line."""
import numpy as np
import pytest
import torch
from PIL import Image

from rnnkit.data import write_idx
from rnnkit.data.images import ImageFolder, is_colour, letterbox, parse_size, read_captions
from rnnkit.errors import DataError


def test_sizes_are_square_or_width_by_height():
    assert parse_size("64") == (64, 64) and parse_size("128x64") == (128, 64)
    for bad in ("0", "64x", "x64", "big", "-3"):
        with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
            parse_size(bad)


def test_letterbox_keeps_the_aspect_ratio_and_fills_with_the_border_colour():
    image = Image.new("L", (40, 20), 200)
    image.paste(0, (10, 5, 30, 15))              # a dark block on a light ground
    boxed = np.asarray(letterbox(image, 20, 20))
    assert boxed.shape == (20, 20)
    assert (boxed[:5] == 200).all() and (boxed[-5:] == 200).all()   # bands above and below: the border colour
    assert boxed[10, 10] < 50                                       # the block, scaled by one half, in the middle


def test_grey_and_colour_images_and_idx_images_by_index(tmp_path):
    Image.new("RGB", (8, 8), (255, 0, 0)).save(tmp_path / "red.png")
    Image.new("RGB", (8, 8), (90, 90, 90)).save(tmp_path / "grey.jpg")
    digits = np.zeros((3, 6, 6), np.uint8)
    digits[2, 1:5, 2] = 255
    write_idx(tmp_path / "digits-idx3-ubyte", digits)
    folder = ImageFolder(tmp_path, (6, 6), 1)
    assert is_colour(folder.open("red.png")) and not is_colour(folder.open("grey.jpg"))
    assert folder.read("red.png").shape == (1, 6, 6)
    assert ImageFolder(tmp_path, (6, 6), 3).read("red.png")[0].float().mean() > 250
    x = folder.read("digits-idx3-ubyte#2")
    assert x.dtype == torch.uint8
    assert x[0, 1:5, 2].tolist() == [255] * 4 and int(x.sum()) == 4 * 255
    with pytest.raises(DataError, match="an IDX file of 3 images; name one as digits-idx3-ubyte#K"):
        folder.read("digits-idx3-ubyte#7")


def test_unreadable_and_missing_images_are_named(tmp_path):
    (tmp_path / "notes.png").write_text("not an image at all")
    folder = ImageFolder(tmp_path, (8, 8), 1)
    with pytest.raises(DataError, match="notes.png: not an image Pillow can read"):
        folder.read("notes.png")
    with pytest.raises(DataError, match="gone.png: no such image"):
        folder.read("gone.png")


def test_caption_files_group_references_skip_a_header_and_name_bad_lines(tmp_path):
    Image.new("L", (4, 4)).save(tmp_path / "a.png")
    Image.new("L", (4, 4)).save(tmp_path / "b.png")
    folder = ImageFolder(tmp_path, (4, 4), 1)
    good = tmp_path / "captions.tsv"
    good.write_text("image\tcaption\na.png\tone  two\nb.png\tthree\n\na.png\tone two again\n")
    captions = read_captions(good, folder)
    assert captions.images == ["a.png", "b.png"]
    assert captions.captions == [["one two", "one two again"], ["three"]] and captions.lines[0] == [2, 5]
    cases = {"a.png\tone\nc.png\ttwo\n": "bad.tsv, line 2: image 'c.png' is not under",
             "a.png\tone\nb.png\t  \n": "bad.tsv, line 2: the caption of 'b.png' is empty",
             "a.png one\n": "bad.tsv, line 1: expected IMAGE<TAB>CAPTION, found no tab",
             "\n\n": "bad.tsv: is empty",
             "image\tcaption\n": "bad.tsv: has no captions"}
    for text, message in cases.items():
        (tmp_path / "bad.tsv").write_text(text)
        with pytest.raises(DataError, match=message.replace("(", r"\(")):
            read_captions(tmp_path / "bad.tsv", folder)
