"""Clips: folders of frames in natural order and .npy arrays, letterboxed; label files; and the
errors that name the clip, the frame or the line."""
import re

import numpy as np
import pytest
import torch
from PIL import Image

from rnnkit.data.clips import ClipFolder, natural_key, pad_clips, read_clip_labels
from rnnkit.errors import DataError


def test_frames_are_read_in_natural_order_and_npy_clips_as_arrays(tmp_path):
    (tmp_path / "walk").mkdir()
    for k in (1, 2, 10):
        Image.new("L", (8, 8), 20 * k).save(tmp_path / "walk" / f"frame{k}.png")
    assert sorted(["frame10", "frame2", "frame1"], key=natural_key) == ["frame1", "frame2", "frame10"]
    folder = ClipFolder(tmp_path, (4, 4), 1)
    clip = folder.read("walk")
    assert clip.shape == (3, 1, 4, 4) and clip.dtype == torch.uint8
    assert clip[:, 0, 0, 0].tolist() == [20, 40, 200]
    np.save(tmp_path / "grey.npy", np.linspace(0, 1, 5 * 8 * 8).reshape(5, 8, 8))      # values in [0, 1]
    np.save(tmp_path / "colour.npy", np.full((2, 8, 16, 3), (250, 0, 0), np.uint8))
    assert folder.read("grey.npy").shape == (5, 1, 4, 4) and int(folder.read("grey.npy").max()) > 240
    assert folder.is_colour("colour.npy") and not folder.is_colour("walk")
    colour = ClipFolder(tmp_path, (8, 8), 3).read("colour.npy")
    assert colour.shape == (2, 3, 8, 8) and colour[0, 0, 4, 4] == 250 and colour[0, 0, 0, 0] == 250   # border fill
    x, lengths = pad_clips([clip, folder.read("grey.npy")])
    assert x.shape == (5, 2, 1, 4, 4) and lengths.tolist() == [3, 5] and int(x[3:, 0].sum()) == 0


def test_bad_clips_are_named(tmp_path):
    folder = ClipFolder(tmp_path, (4, 4), 1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty: the clip has no frames"):
        folder.read("empty")
    (tmp_path / "mixed").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "mixed" / "a.png")
    Image.new("L", (6, 8)).save(tmp_path / "mixed" / "b.png")
    with pytest.raises(DataError, match=r"b.png: the frame is 6x8 pixels, the clip's first frame 8x8"):
        folder.read("mixed")
    (tmp_path / "broken").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "broken" / "a.png")
    (tmp_path / "broken" / "b.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="b.png: not an image Pillow can read"):
        folder.read("broken")
    np.save(tmp_path / "none.npy", np.zeros((0, 8, 8), np.uint8))
    with pytest.raises(DataError, match="none.npy: the clip is empty"):
        folder.read("none.npy")
    np.save(tmp_path / "flat.npy", np.zeros((8, 8), np.uint8))
    with pytest.raises(DataError, match=r"flat.npy: a clip array is \[frames, height, width\]"):
        folder.read("flat.npy")
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="objects.npy: not a .npy array numpy can read without pickles"):
        folder.read("objects.npy")


def test_label_files_skip_a_header_and_name_bad_lines(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 4, 4), np.uint8))
    folder = ClipFolder(tmp_path, (4, 4), 1)
    (tmp_path / "labels.tsv").write_text("clip\tlabel\na.npy\tleft\n\na.npy\tright\n")
    data = read_clip_labels(tmp_path / "labels.tsv", folder)
    assert data.clips == ["a.npy", "a.npy"] and data.labels == ["left", "right"] and data.lines == [2, 4]
    for text, message in {"a.npy\tleft\nb.npy\tup\n": "line 2: clip 'b.npy' is not under",
                          "a.npy\t\n": "line 1: the label of 'a.npy' is empty",
                          "a.npy left\n": "line 1: expected CLIP<TAB>LABEL, found 1 field(s)"}.items():
        (tmp_path / "bad.tsv").write_text(text)
        with pytest.raises(DataError, match=re.escape(message)):
            read_clip_labels(tmp_path / "bad.tsv", folder)
