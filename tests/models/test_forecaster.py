"""Forecaster: each window in its own units (forecasts move with the series' level and scale), the
seasonal naive forecast to start from, short and missing histories, and that it learns."""
import math

import pytest
import torch

from rnnkit.models import Forecaster
from rnnkit.models.forecaster import windows


def seasonal(n, season=4, start=0):
    return [10 + 0.5 * t + 3 * math.sin(2 * math.pi * t / season) for t in range(start, start + n)]


def trained_a_little(model, steps=3):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        w = windows([seasonal(12), seasonal(9, start=2)], [0, 2], [seasonal(3, start=12), seasonal(3, start=11)])
        opt.zero_grad()
        model.loss(w)[0].backward()
        opt.step()
    return model.eval()


@pytest.mark.parametrize("decoder", [True, False], ids=["decoder", "direct"])
def test_forecasts_follow_the_level_and_scale_of_the_series(decoder):
    torch.manual_seed(0)
    model = trained_a_little(Forecaster(3, season=4, hidden_size=8, decoder=decoder))
    y = seasonal(12)
    base = model.forecast(windows([y], [0]))
    moved = model.forecast(windows([[7 * v - 20 for v in y]], [0]))
    torch.testing.assert_close(moved, 7 * base - 20)
    logged = trained_a_little(Forecaster(3, season=4, hidden_size=8, log=True, decoder=decoder))
    torch.testing.assert_close(logged.forecast(windows([[5 * v for v in y]], [0])),
                               5 * logged.forecast(windows([y], [0])))


def test_an_untrained_forecaster_gives_the_seasonal_naive_forecast():
    y = [1.0, 5.0, 2.0, 8.0, 1.5, 5.5, 2.5, 8.5]
    q = Forecaster(6, season=4, hidden_size=8).forecast(windows([y], [0]))
    assert q.shape == (1, 6, 5)
    torch.testing.assert_close(q[0, :, 2], torch.tensor([1.5, 5.5, 2.5, 8.5, 1.5, 5.5], dtype=torch.float64))
    last = Forecaster(2, hidden_size=8).forecast(windows([y], [0]))
    torch.testing.assert_close(last[0, :, 2], torch.tensor([8.5, 8.5], dtype=torch.float64))


def test_with_drift_an_untrained_forecaster_continues_a_trend_and_its_season():
    season = [0.0, 3.0, -1.0, 2.0]
    line = lambda t: 10.0 + 0.5 * t + season[t % 4]  # noqa: E731
    w = windows([[line(t) for t in range(20)], [line(t) for t in range(5, 17)]], [0, 5])
    with_drift = Forecaster(6, season=4, hidden_size=8, drift=True).eval()
    torch.testing.assert_close(with_drift.forecast(w)[..., 2],
                               torch.tensor([[line(t) for t in range(20, 26)], [line(t) for t in range(17, 23)]],
                                            dtype=torch.float64))
    plain = Forecaster(6, season=4, hidden_size=8).eval()      # the seasonal naive forecast lags a season behind
    assert float(plain.forecast(w)[0, 0, 2]) == pytest.approx(line(16))
    trend = Forecaster(3, hidden_size=8, drift=True).eval()     # no season: the drift method
    torch.testing.assert_close(trend.forecast(windows([[1.0, 3.0, 5.0, 7.0]], [0]))[0, :, 2],
                               torch.tensor([9.0, 11.0, 13.0], dtype=torch.float64))


@pytest.mark.parametrize("decoder", [True, False], ids=["decoder", "direct"])
def test_short_windows_in_a_batch_equal_each_window_alone(decoder):
    torch.manual_seed(0)
    model = trained_a_little(Forecaster(3, season=4, hidden_size=8, decoder=decoder))
    histories = [seasonal(12), seasonal(3, start=5), seasonal(7, start=1)]
    batch = model.forecast(windows(histories, [0, 5, 1]))
    for b, h in enumerate(histories):
        torch.testing.assert_close(batch[b], model.forecast(windows([h], [[0, 5, 1][b]]))[0])
    assert (batch.diff(dim=-1) >= 0).all()                      # quantiles in order


def test_missing_values_are_masked_in_inputs_and_targets():
    torch.manual_seed(0)
    model = Forecaster(2, hidden_size=8, mask_missing=True)
    w = windows([[1.0, math.nan, 3.0, 4.0]], [0], [[5.0, math.nan]])
    nats, count = model.loss(w)
    assert count == 1 and torch.isfinite(nats)
    nats.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert torch.isfinite(model.eval().forecast(w)).all()


def test_it_learns_a_seasonal_series():
    torch.manual_seed(0)
    model = Forecaster(4, season=4, hidden_size=16)
    series = seasonal(80)
    ends = range(8, 76)
    w = windows([series[max(0, e - 12) : e] for e in ends], [max(0, e - 12) for e in ends],
                [series[e : e + 4] for e in ends])
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    first = float(model.loss(w)[0].detach())
    for _ in range(150):
        opt.zero_grad()
        nats, _ = model.loss(w)
        nats.backward()
        opt.step()
    assert float(model.loss(w)[0].detach()) < 0.3 * first


def test_calibration_widens_intervals_to_hold_their_share():
    torch.manual_seed(0)
    model = trained_a_little(Forecaster(3, season=4, hidden_size=8))
    ends = range(4, 40)
    series = [v + (3 if t % 5 == 0 else -2) for t, v in enumerate(seasonal(45))]   # noise the model never saw
    w = windows([series[max(0, e - 8) : e] for e in ends], [max(0, e - 8) for e in ends],
                [series[e : e + 3] for e in ends])
    model.calibrate(w)
    q = model.forecast(w)
    actual = w.target
    for k, (lo, hi) in enumerate([(1, 3), (0, 4)]):
        inside = ((q[..., lo] <= actual) & (actual <= q[..., hi])).double().mean()
        assert inside >= [0.8, 0.95][k]
    assert (q.diff(dim=-1) >= 0).all()                        # still in order, the 95% interval around the 80%


def test_too_few_held_out_values_widen_the_intervals_to_hold_them_all():
    torch.manual_seed(0)
    model = trained_a_little(Forecaster(1, season=4, hidden_size=8))
    w = windows([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [0, 1], [[10.0], [-4.0]])   # 2 values: fewer than 4 and 19
    assert model.calibrate(w) == 2
    q = model.forecast(w)
    for lo, hi in [(1, 3), (0, 4)]:                            # the 80% and the 95% interval hold both
        assert ((q[..., lo] <= w.target) & (w.target <= q[..., hi])).all()
    assert model.calibrate(windows([[1.0, 2.0]], [0], [[math.nan]])) == 0     # nothing known: as trained
    assert model.widen.tolist() == [0.0, 0.0]
