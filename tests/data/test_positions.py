"""Positions of an object in clips (clip,frame,x,y): the layouts accepted, the errors that name the
line, and the map from a clip's pixels to the letterboxed frame's [-1, 1] coordinates."""
import math

import numpy as np
import pytest
import torch
from PIL import Image

from rnnkit.data.clips import ClipFolder
from rnnkit.data.positions import FrameCoordinates, read_positions
from rnnkit.errors import DataError


@pytest.fixture
def folder(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((4, 10, 20), np.uint8))
    (tmp_path / "b").mkdir()
    for k in (1, 2, 10):
        Image.new("L", (8, 6)).save(tmp_path / "b" / f"f{k}.png")
    return ClipFolder(tmp_path, (16, 16), 1)


def test_positions_with_or_without_a_header_by_number_or_frame_name(folder, tmp_path):
    (tmp_path / "p.csv").write_text("a.npy,0,1.5,2\na.npy,3,4,5\n\nb,f10,7,1\nb,1,,\n")
    positions = read_positions(tmp_path / "p.csv", folder)
    assert positions.clips == ["a.npy", "b"]
    assert positions.points == {"a.npy": {0: (1.5, 2.0), 3: (4.0, 5.0)}, "b": {2: (7.0, 1.0)}}
    track = positions.track("a.npy", 4)
    assert track[0].tolist() == [1.5, 2.0] and track[1].isnan().all() and track[3].tolist() == [4.0, 5.0]
    (tmp_path / "h.csv").write_text("y,x,frame,clip,note\n2,1.5,0,a.npy,hello\n")
    assert read_positions(tmp_path / "h.csv", folder).points == {"a.npy": {0: (1.5, 2.0)}}
    assert folder.length("a.npy") == 4 and folder.length("b") == 3
    assert folder.original_size("a.npy") == (20, 10) and folder.original_size("b") == (8, 6)


@pytest.mark.parametrize("text,message", [
    ("a.npy,4,1,1\n", "p.csv, line 1: frame 4 is not a frame of 'a.npy', which has 4 (frames count from 0 to 3)"),
    ("a.npy,0,1,1\nc.npy,0,1,1\n", "p.csv, line 2: clip 'c.npy' is not under"),
    ("a.npy,0,1,1\na.npy,0,2,2\n", "p.csv, line 2: frame 0 of 'a.npy' is given a second time"),
    ("a.npy,0,one,1\n", "p.csv, line 1: x 'one' is not a number"),
    ("a.npy,0,1,inf\n", "p.csv, line 1: y is 'inf'; expected a finite number"),
    ("a.npy,0,1\n", "p.csv, line 1: expected clip,frame,x,y"),
    ("b,f3,1,1\n", "p.csv, line 1: frame 'f3' is neither a frame number (from 0) nor a frame file of 'b'"),
    ("clip,frame,x,y\n", "p.csv: has no positions"),
    ("clip,frame,x,y\na.npy,1\n", "p.csv, line 2: expected 4 fields as the header says, found 2"),
])
def test_bad_positions_name_the_line(folder, tmp_path, text, message):
    (tmp_path / "p.csv").write_text(text)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_positions(tmp_path / "p.csv", folder)


def test_frame_coordinates_follow_the_letterbox():
    """A bright pixel of a 20 x 10 clip letterboxed to 16 x 16 lands where the map says, and the
    map and its inverse agree; a frame of the model's own size maps pixel centres onto [-1, 1]."""
    picture = np.zeros((10, 20), np.uint8)
    picture[6, 15] = 255
    folder_frame = np.asarray(__import__("rnnkit.data.images", fromlist=["letterbox"]).letterbox(
        Image.fromarray(picture), 16, 16), dtype=float)
    where = FrameCoordinates((20, 10), (16, 16))
    x, y = where.frame_pixels(torch.tensor([15.0, 6.0])).tolist()
    weights = folder_frame / folder_frame.sum()
    rows, columns = np.mgrid[0:16, 0:16]
    assert math.isclose((weights * columns).sum(), x, abs_tol=0.3) and math.isclose((weights * rows).sum(), y,
                                                                                      abs_tol=0.3)
    xy = torch.tensor([[0.0, 0.0], [19.0, 9.0], [3.25, 7.5]], dtype=torch.float64)
    torch.testing.assert_close(where.from_unit(where.to_unit(xy)), xy)
    same = FrameCoordinates((32, 32), (32, 32))
    torch.testing.assert_close(same.to_unit(torch.tensor([[0.0, 31.0], [15.5, 15.5]])),
                               torch.tensor([[-1.0, 1.0], [0.0, 0.0]], dtype=torch.float64))
