"""Elastic distortion: a smooth random field of the asked root-mean-square displacement, in
training only."""
import pytest
import torch

from rnnkit.layers.distortion import ElasticDistortion


def ramp(height: int, width: int) -> torch.Tensor:
    """An image whose value at each pixel is its x coordinate in pixels, [1, 1, H, W]."""
    return torch.arange(width, dtype=torch.float64).expand(1, 1, height, width).clone()


def test_the_image_moves_by_the_field_it_draws():
    """On a ramp of x, bilinear resampling gives x + d_x exactly (away from the borders): the
    image moves by the field, whose root-mean-square over both directions is ``pixels``."""
    distort = ElasticDistortion(2.0, sigma=3.0).double()
    torch.manual_seed(0)
    d = distort.field(1, 40, 60, torch.float64, "cpu")
    torch.manual_seed(0)
    moved = distort(ramp(40, 60))
    assert d.pow(2).mean().sqrt().item() == pytest.approx(2.0)
    inner = (slice(None), slice(None), slice(8, -8), slice(8, -8))        # where x + d_x stays on the image
    assert d[:, :1][inner].abs().max() < 8
    torch.testing.assert_close(moved[inner] - ramp(40, 60)[inner], d[:, :1][inner])


def test_the_field_is_smooth_and_differs_between_images():
    """Neighbouring pixels move almost alike at sigma 4 (the difference of neighbours is about 0.18
    of the field, where white noise would give 1.4), and each image of a batch gets its own field."""
    d = ElasticDistortion(1.5, sigma=4.0).field(2, 32, 32, torch.float64, "cpu")
    step = (d[..., 1:] - d[..., :-1]).pow(2).mean().sqrt()
    assert step < 0.3 * d.pow(2).mean().sqrt()
    assert (d[0] - d[1]).abs().mean() > 0.5


def test_only_in_training_and_not_at_zero():
    images = torch.rand(3, 1, 12, 20)
    distort = ElasticDistortion(1.0)
    assert not torch.equal(distort(images), images)
    assert distort.eval()(images) is images
    assert ElasticDistortion(0.0)(images) is images


@pytest.mark.parametrize("pixels, sigma", [(-1.0, 4.0), (1.0, 0.0)])
def test_nonsense_settings_are_refused(pixels, sigma):
    with pytest.raises(ValueError, match="pixels >= 0 and sigma > 0"):
        ElasticDistortion(pixels, sigma)
