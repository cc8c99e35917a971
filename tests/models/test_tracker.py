"""The trajectory predictor: keypoints, its targets, that step t sees frames 1..t only, padding,
the loss over known positions only, and the path errors beside their baselines."""
import math

import torch

from rnnkit.layers.images import keypoints
from rnnkit.models import Tracker
from rnnkit.tasks.tracking.metrics import path_errors, trajectory_metrics


def test_keypoints_are_where_each_channel_fires():
    coordinates = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    features = torch.zeros(4, 1, 2)
    features[3, 0, 0] = 50.0                        # channel 0 fires at the bottom right
    regions = torch.cat([features, coordinates[:, None]], dim=-1)
    points = keypoints(regions).view(1, 2, 2)
    torch.testing.assert_close(points[0, 0], torch.tensor([1.0, 1.0]), atol=1e-6, rtol=0)
    torch.testing.assert_close(points[0, 1], torch.tensor([0.0, 0.0]))   # channel 1 nowhere: the centre


def model(**options):
    torch.manual_seed(0)
    return Tracker(3, image_size=(16, 12), embedding_dim=8, hidden_size=10, cnn_channels=(4, 8), **options).eval()


def test_targets_are_the_positions_of_frames_t_to_t_plus_k():
    positions = torch.arange(5 * 2 * 2, dtype=torch.float64).view(5, 2, 2)
    target = model().targets(positions)
    assert target.shape == (5, 2, 4, 2)
    torch.testing.assert_close(target[1, 0, 2], positions[3, 0])
    assert target[2, 1, 3].isnan().all() and not target[2, 1, 2].isnan().any()   # frame 5 is past the end


def test_each_frame_sees_only_the_frames_before_it_and_padding_changes_nothing():
    m = model(cell="gru")
    clips = torch.randint(0, 256, (6, 2, 1, 12, 16), dtype=torch.uint8)
    out = m(clips, torch.tensor([6, 4]))
    assert out.shape == (6, 2, 4, 2)
    changed = clips.clone()
    changed[4:, 0] = 0
    later = m(changed, torch.tensor([6, 4]))
    torch.testing.assert_close(later[:4], out[:4])
    assert not torch.allclose(later[4:, 0], out[4:, 0])
    alone = m(clips[:4, 1:], torch.tensor([4]))
    torch.testing.assert_close(alone[:, 0], out[:4, 1])
    paths = m.paths([clips[:, 0], clips[:4, 1]])
    torch.testing.assert_close(paths[1], out[:4, 1].double())


def test_the_loss_counts_known_positions_only():
    m = model()
    clips = torch.randint(0, 256, (4, 2, 1, 12, 16), dtype=torch.uint8)
    positions = torch.rand(4, 2, 2, dtype=torch.float64)
    positions[2:, 1] = math.nan                    # clip 1 ends after 2 frames
    positions[1, 0] = math.nan                     # clip 0's frame 1 is not known
    total, count = m.loss(clips, torch.tensor([4, 2]), positions)
    # clip 0: frame t counts its known frames among t..t+3 -> 3 + 2 + 2 + 1; clip 1: 2 + 1
    assert count == 8 + 3
    out, target = m(clips, torch.tensor([4, 2])), m.targets(positions.float())
    known = ~target.isnan().any(-1)
    torch.testing.assert_close(total, (out - target.nan_to_num(0)).pow(2).sum(-1)[known].sum())
    total.backward()
    assert all(p.grad is not None for p in m.parameters() if p.requires_grad)


def test_path_errors_and_their_baselines():
    """On a straight line at constant speed the constant-velocity guess is exact and standing
    still is wrong by k steps; unknown positions drop their windows."""
    track = torch.tensor([[float(t), 2.0 * t] for t in range(8)], dtype=torch.float64)
    perfect = torch.stack([track[torch.clamp(torch.arange(t + 1, t + 3), max=7)] for t in range(8)])
    errors = path_errors(track, perfect)
    assert errors.frame.tolist() == [1, 2, 3, 4, 5]
    assert errors.model.abs().max() == 0 and errors.constant_velocity.abs().max() == 0
    torch.testing.assert_close(errors.last_position[0], torch.tensor([1, 2], dtype=torch.float64) * math.sqrt(5))
    track[3] = math.nan
    assert path_errors(track, perfect).frame.tolist() == [5]          # windows needing frame 3 are gone
    metrics = trajectory_metrics(errors)
    assert metrics["windows"] == 5 and metrics["error"] == 0 and math.isclose(metrics["last_position"],
                                                                              1.5 * math.sqrt(5))
