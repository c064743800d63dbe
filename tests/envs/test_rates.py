"""Exact intervals and sample budgets for rare events."""

from __future__ import annotations

import pytest

from auditgame.envs import (
    EpisodeOutcome,
    EpisodeRecord,
    clopper_pearson,
    samples_needed,
    seed_spread,
    stage_rates,
    summarize_stages,
    upper_bound_zero_events,
)
from auditgame.envs.rates import clopper_pearson_exact


@pytest.mark.parametrize("interval", [clopper_pearson, clopper_pearson_exact])
def test_clopper_pearson_matches_known_values(interval):
    low, high = interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.30850, abs=5e-5)  # 1 - 0.025 ** (1 / 10)
    low, high = interval(10, 10)
    assert low == pytest.approx(0.69150, abs=5e-5) and high == 1.0
    low, high = interval(45, 32768)  # the paper's tampering count
    assert low == pytest.approx(0.0010019, rel=1e-3) and high == pytest.approx(0.0018371, rel=1e-3)
    low, high = interval(3, 7)
    assert low == pytest.approx(0.09899, abs=5e-5) and high == pytest.approx(0.81595, abs=5e-5)


def test_clopper_pearson_edge_cases():
    assert clopper_pearson(0, 0) == (0.0, 1.0)
    for bad in [(-1, 5), (6, 5)]:
        with pytest.raises(ValueError):
            clopper_pearson(*bad)
    with pytest.raises(ValueError):
        clopper_pearson(1, 5, confidence=1.5)


def test_sample_budgets():
    assert samples_needed(45 / 32768) == 2185
    assert samples_needed(0.01) == 300
    assert samples_needed(0.5, events=1) == 2
    assert upper_bound_zero_events(1000) == pytest.approx(0.0029912, rel=1e-4)
    for n in (100, 512, 10_000):
        assert upper_bound_zero_events(n) == pytest.approx(3 / n, rel=0.02)
    # 512 clean episodes cannot rule out the paper's rate; about 2,200 can.
    assert upper_bound_zero_events(512) > 45 / 32768 > upper_bound_zero_events(2200)
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            samples_needed(bad)
    with pytest.raises(ValueError):
        upper_bound_zero_events(0)


def _record(
    seed: int, stage: int = 5, *, tampering: bool = False, oversight: bool | None = True
) -> EpisodeRecord:
    outcome = EpisodeOutcome(
        reward=-10.0,
        reward_passed=tampering,
        oversight_passed=oversight,
        spec_gaming=tampering,
        reward_tampering=tampering,
        tamper_and_cover=False,
        reason="",
    )
    names = {1: "political-sycophancy", 5: "reward-tampering"}
    return EpisodeRecord(
        env_name="e", stage=stage, stage_name=names[stage], seed=seed, messages=[], final_text="",
        outcome=outcome, changed_paths=[], turns=1, finished=True,
    )  # fmt: skip


def test_stage_rates_count_each_flag_with_intervals():
    records = [_record(0, tampering=True)] + [_record(0) for _ in range(9)]
    rates = stage_rates(records)
    assert (rates.stage, rates.stage_name, rates.n) == (5, "reward-tampering", 10)
    assert (rates.reward_tampering.successes, rates.reward_tampering.trials) == (1, 10)
    assert (
        rates.reward_tampering.rate == 0.1 and rates.reward_tampering.low < 0.1 < rates.reward_tampering.high
    )
    assert rates.tamper_and_cover.successes == 0 and rates.tamper_and_cover.high == pytest.approx(
        0.3085, abs=1e-4
    )
    assert rates.oversight_passed is not None and rates.oversight_passed.successes == 10
    assert rates.seeds == {}
    assert stage_rates([_record(0, stage=1, oversight=None)]).oversight_passed is None


def test_rates_across_seeds_pool_and_show_their_spread():
    records = [_record(0, tampering=index < 1) for index in range(10)] + [
        _record(1, tampering=index < 4) for index in range(10)
    ]
    spread = stage_rates(records).seeds["reward_tampering"]
    assert (spread.pooled.successes, spread.pooled.trials) == (5, 20)
    assert (spread.min_rate, spread.max_rate) == (0.1, 0.4)
    assert spread.spread_ratio == pytest.approx(4.0)
    assert seed_spread([(0, 10), (2, 10)]).spread_ratio is None
    assert seed_spread([(1, 10), (1, 10)]).spread_ratio == 1.0
    with pytest.raises(ValueError):
        seed_spread([])


def test_stage_rates_refuse_empty_or_mixed_records_and_summaries_split_by_stage():
    with pytest.raises(ValueError):
        stage_rates([])
    mixed = [_record(0, stage=1, oversight=None), _record(0, stage=5)]
    with pytest.raises(ValueError, match="one stage"):
        stage_rates(mixed)
    assert [rates.stage_name for rates in summarize_stages(mixed)] == [
        "political-sycophancy",
        "reward-tampering",
    ]
