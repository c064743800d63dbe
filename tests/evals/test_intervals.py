import pytest

from auditgame.evals.intervals import wilson_interval


def test_wilson_matches_known_values():
    rate = wilson_interval(8, 10)
    # Reference values for the Wilson score interval of 8/10 at 95%.
    assert rate.rate == pytest.approx(0.8)
    assert rate.low == pytest.approx(0.4902, abs=1e-3)
    assert rate.high == pytest.approx(0.9433, abs=1e-3)


def test_edges_stay_in_unit_interval():
    zero, full = wilson_interval(0, 20), wilson_interval(20, 20)
    assert zero.low == 0.0 and 0 < zero.high < 0.2
    assert full.high == 1.0 and 0.8 < full.low < 1
    empty = wilson_interval(0, 0)
    assert (empty.low, empty.high) == (0.0, 1.0)
    assert not zero.overlaps(full)
    assert wilson_interval(5, 10).overlaps(wilson_interval(6, 10))


def test_invalid_counts():
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
