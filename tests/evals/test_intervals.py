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


def test_the_interval_always_holds_the_rate():
    # At 200 of 200 the upper bound computes to 0.9999999999999999; plots take rate - low and high - rate.
    for trials in (1, 7, 40, 200, 1000):
        for successes in (0, 1, trials // 2, trials - 1, trials):
            rate = wilson_interval(max(0, successes), trials)
            assert rate.low <= rate.rate <= rate.high
