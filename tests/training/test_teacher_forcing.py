import math

import pytest

from rnnkit.training.teacher_forcing import TeacherForcing


def test_schedules_follow_bengio_et_al():
    assert TeacherForcing().at(123) == 1.0
    assert TeacherForcing("constant", ratio=0.75).at(10**6) == 0.75
    linear = TeacherForcing("linear", steps=100, minimum=0.25)
    assert [linear.at(s) for s in (0, 50, 75, 100, 1000)] == [1.0, 0.5, 0.25, 0.25, 0.25]
    sigmoid = TeacherForcing("inverse_sigmoid", k=10)
    assert sigmoid.at(0) == pytest.approx(10 / 11)
    assert sigmoid.at(10 * math.log(10)) == pytest.approx(0.5)
    values = [sigmoid.at(s) for s in range(0, 200, 10)]
    assert all(a > b for a, b in zip(values, values[1:])) and sigmoid.at(10**9) < 1e-6


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "exponential"}, "must be one of"),
    ({"ratio": 1.5}, r"ratios lie in \[0, 1\]"),
    ({"kind": "linear", "steps": 0}, "at least 1"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TeacherForcing(**kwargs)
