"""How far predicted paths are from the real ones, beside the two baselines a physicist would try
first.

A window is a frame t of a clip from which the next K positions are predicted; it is scored
where the positions of frames t-1, t and t+1..t+K are all known.  Its errors, in pixels, for
k = 1..K:

    model               || p^_(t+k) - p_(t+k) ||
    constant velocity   || p_t + k (p_t - p_(t-1)) - p_(t+k) ||     (the last two positions)
    last position       || p_t - p_(t+k) ||                          (nothing moves)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PathErrors:
    """The scored windows of clips: ``clip`` and ``frame`` (t) of each, and its errors ``[N, K]``
    in pixels for the model and the two baselines."""
    clip: torch.Tensor
    frame: torch.Tensor
    model: torch.Tensor
    constant_velocity: torch.Tensor
    last_position: torch.Tensor

    @classmethod
    def join(cls, parts: list["PathErrors"]) -> "PathErrors":
        return cls(*(torch.cat([getattr(p, f) for p in parts]) for f in
                     ("clip", "frame", "model", "constant_velocity", "last_position")))

    def subset(self, keep: torch.Tensor) -> "PathErrors":
        """The windows where ``keep [N]`` (bool) holds."""
        return PathErrors(self.clip[keep], self.frame[keep], self.model[keep], self.constant_velocity[keep],
                          self.last_position[keep])


def path_errors(track: torch.Tensor, predicted: torch.Tensor, clip: int = 0) -> PathErrors:
    """The scored windows of one clip: ``track [T, 2]`` its positions (NaN where unknown),
    ``predicted [T, K, 2]`` the positions predicted at each frame for the K frames after it."""
    T, K = len(track), predicted.shape[1]
    frames = torch.arange(1, max(T - K, 1))
    if len(frames):
        ahead = torch.stack([track[frames + k] for k in range(1, K + 1)], dim=1)           # [N, K, 2]
        known = ~(ahead.isnan().any(-1).any(-1) | track[frames].isnan().any(-1) | track[frames - 1].isnan().any(-1))
        frames, ahead = frames[known], ahead[known]
    if not len(frames):
        empty = torch.zeros(0, K, dtype=torch.float64)
        return PathErrors(torch.zeros(0, dtype=torch.long), frames.long(), empty, empty, empty)
    now, before = track[frames][:, None], track[frames - 1][:, None]
    steps = torch.arange(1, K + 1, dtype=track.dtype)[None, :, None]

    def distance(guess):
        return (guess.double() - ahead.double()).norm(dim=-1)

    return PathErrors(torch.full((len(frames),), clip), frames, distance(predicted[frames]),
                      distance(now + steps * (now - before)), distance(now.expand_as(ahead)))


def trajectory_metrics(errors: PathErrors) -> dict[str, float]:
    """Mean errors over the windows (pixels): ``error`` over all K steps ahead and ``error_last``
    at the K-th alone, for the model; ``constant_velocity`` and ``last_position`` over all K steps;
    and the number of ``windows``."""
    n = len(errors.frame)
    if not n:
        return {"error": float("nan"), "error_last": float("nan"), "constant_velocity": float("nan"),
                "last_position": float("nan"), "windows": 0, "horizon": errors.model.shape[1]}
    return {"error": float(errors.model.mean()), "error_last": float(errors.model[:, -1].mean()),
            "constant_velocity": float(errors.constant_velocity.mean()),
            "last_position": float(errors.last_position.mean()), "windows": n, "horizon": errors.model.shape[1]}


def format_trajectory_metrics(metrics: dict) -> str:
    """``next 5: error 0.812 px (step 5: 1.234 px)  constant velocity 1.650 px  last position
    4.321 px  windows 1500``."""
    return (f"next {metrics['horizon']}: error {metrics['error']:.3f} px (step {metrics['horizon']}: "
            f"{metrics['error_last']:.3f} px)  constant velocity {metrics['constant_velocity']:.3f} px  "
            f"last position {metrics['last_position']:.3f} px  windows {metrics['windows']}")
