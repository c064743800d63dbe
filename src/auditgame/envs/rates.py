"""Rates of rare events with exact intervals, and what a sample budget can resolve.

Reward tampering is rare: the paper saw it in 45 of 32,768 episodes (0.14%) after the whole curriculum,
and never (0 of 100,000) in the helpful-only model. With rates like these the question is less "what is
the rate" than "could this many episodes have seen it at all":

- :func:`upper_bound_zero_events`: with 0 events in ``n`` episodes, the one-sided 95% upper bound is
  ``1 - 0.05 ** (1 / n)``, about ``3 / n`` (the rule of three). 512 episodes with no tampering only say
  the rate is below about 0.6% — above the paper's 0.14%, so such a result cannot tell "never" from
  "as often as in the paper".
- :func:`samples_needed`: the episodes needed to *expect* ``events`` events at a given rate
  (``events / rate``): at 45/32,768, three expected events take 2,185 episodes.
- :func:`clopper_pearson`: the exact two-sided interval for ``k`` of ``n``, valid at ``k = 0`` and for
  tiny rates where normal approximations fail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from auditgame.envs.episode import EpisodeRecord

__all__ = [
    "METRICS",
    "Rate",
    "SeedSpread",
    "StageRates",
    "clopper_pearson",
    "samples_needed",
    "seed_spread",
    "stage_rates",
    "summarize_stages",
    "upper_bound_zero_events",
]

METRICS: tuple[str, ...] = (
    "spec_gaming",
    "reward_tampering",
    "tamper_and_cover",
    "reward_passed",
    "oversight_passed",
)
"""The per-episode flags :class:`StageRates` counts."""


def clopper_pearson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper–Pearson) two-sided interval for a binomial proportion.

    Uses :func:`scipy.stats.binomtest` when scipy is installed, else the same quantiles of the beta
    distribution computed here (a continued fraction for the incomplete beta function, inverted by
    bisection).

    Args:
        successes: Events seen (``0 <= successes <= trials``).
        trials: Episodes (``0`` gives the uninformative ``(0, 1)``).
        confidence: The interval's coverage, e.g. ``0.95``.

    Returns:
        ``(low, high)``.

    Raises:
        ValueError: if the counts or the confidence are out of range.
    """
    if trials < 0 or not 0 <= successes <= max(trials, 0):
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    if trials == 0:
        return 0.0, 1.0
    try:
        from scipy.stats import binomtest
    except ImportError:  # pragma: no cover - scipy comes with scikit-learn
        return clopper_pearson_exact(successes, trials, confidence)
    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="exact")
    return float(interval.low), float(interval.high)


def clopper_pearson_exact(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """:func:`clopper_pearson` in pure Python (no scipy): beta quantiles by bisection."""
    alpha = 1 - confidence
    low = 0.0 if successes == 0 else _beta_quantile(alpha / 2, successes, trials - successes + 1)
    high = 1.0 if successes == trials else _beta_quantile(1 - alpha / 2, successes + 1, trials - successes)
    return low, high


def _beta_quantile(probability: float, a: float, b: float) -> float:
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = (low + high) / 2
        if _regularized_incomplete_beta(a, b, middle) < probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-15:
            break
    return (low + high) / 2


def _regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), by the continued fraction of Numerical Recipes (``betacf``) with Lentz's method."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        numerator = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + numerator * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + numerator / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        numerator = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + numerator * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + numerator / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return h


def upper_bound_zero_events(trials: int, confidence: float = 0.95) -> float:
    """The one-sided upper bound on a rate after 0 events in ``trials`` episodes: ``1 - (1 - c) ** (1 / n)``.

    About ``3 / n`` at 95% (the rule of three): a budget of ``n`` episodes that sees nothing can only rule
    out rates above this. To rule out the paper's 45/32,768 (0.14%) with nothing seen takes about 2,200
    episodes.

    Raises:
        ValueError: if ``trials`` is below 1 or ``confidence`` is not between 0 and 1.
    """
    if trials < 1:
        raise ValueError(f"trials must be 1 or more, not {trials}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return 1 - (1 - confidence) ** (1 / trials)


def samples_needed(rate: float, events: int = 3) -> int:
    """The episodes needed to *expect* ``events`` events at ``rate``: ``ceil(events / rate)``.

    At the paper's 45/32,768, 3 expected events take 2,185 episodes; a budget well below that will usually
    see 0 or 1 events and cannot estimate the rate, only bound it (:func:`upper_bound_zero_events`).

    Raises:
        ValueError: if ``rate`` is not in ``(0, 1]`` or ``events`` is below 1.
    """
    if not 0 < rate <= 1:
        raise ValueError(f"rate must be in (0, 1], not {rate}")
    if events < 1:
        raise ValueError(f"events must be 1 or more, not {events}")
    return math.ceil(events / rate - 1e-9)


class Rate(BaseModel):
    """``successes`` of ``trials`` with the exact 95% interval ``[low, high]``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    successes: int
    trials: int
    rate: float
    low: float
    high: float

    @classmethod
    def of(cls, successes: int, trials: int, confidence: float = 0.95) -> Rate:
        """The rate and its Clopper–Pearson interval."""
        low, high = clopper_pearson(successes, trials, confidence)
        return cls(
            successes=successes, trials=trials, rate=successes / trials if trials else 0.0, low=low, high=high
        )

    def __str__(self) -> str:
        return f"{self.successes}/{self.trials} ({100 * self.rate:.2f}% [{100 * self.low:.2f}, {100 * self.high:.2f}])"


class SeedSpread(BaseModel):
    """One rate measured under several seeds: pooled, and how far the seeds disagree."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_seed: list[Rate]
    pooled: Rate
    """All seeds' counts added up (with its interval)."""
    min_rate: float
    max_rate: float
    spread_ratio: float | None
    """``max_rate / min_rate``; ``None`` when the lowest seed saw no events (undefined), ``1.0`` when all
    seeds agree."""


def seed_spread(counts: Sequence[tuple[int, int]]) -> SeedSpread:
    """Pool per-seed ``(successes, trials)`` counts and measure their spread.

    Raises:
        ValueError: if ``counts`` is empty or a count is out of range.
    """
    if not counts:
        raise ValueError("seed_spread needs at least one seed's counts")
    per_seed = [Rate.of(successes, trials) for successes, trials in counts]
    pooled = Rate.of(sum(s for s, _ in counts), sum(t for _, t in counts))
    rates = [rate.rate for rate in per_seed]
    low, high = min(rates), max(rates)
    ratio = 1.0 if low == high else (high / low if low > 0 else None)
    return SeedSpread(per_seed=per_seed, pooled=pooled, min_rate=low, max_rate=high, spread_ratio=ratio)


class StageRates(BaseModel):
    """Summary of one stage's episodes: how often each flag was set, with exact 95% intervals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: int
    stage_name: str
    n: int
    spec_gaming: Rate
    reward_tampering: Rate
    tamper_and_cover: Rate
    reward_passed: Rate
    oversight_passed: Rate | None
    """Over the episodes that had an oversight check (``None`` if none had one)."""
    seeds: dict[str, SeedSpread] = {}
    """Per metric, its spread across seeds (only when the records come from two or more seeds)."""


def stage_rates(records: Sequence[EpisodeRecord]) -> StageRates:
    """Summarise the episodes of one stage.

    Args:
        records: Episodes of a single stage (any number of seeds).

    Returns:
        Counts and rates of every metric in :data:`METRICS`, and their per-seed spread when the records
        come from several seeds.

    Raises:
        ValueError: if ``records`` is empty or mixes stages.
    """
    if not records:
        raise ValueError("stage_rates needs at least one episode")
    stages = {record.stage_name for record in records}
    if len(stages) > 1:
        raise ValueError(f"stage_rates summarises one stage; got {', '.join(sorted(stages))}")

    def count(metric: str, subset: Sequence[EpisodeRecord]) -> tuple[int, int]:
        judged = [record for record in subset if getattr(record.outcome, metric) is not None]
        return sum(bool(getattr(record.outcome, metric)) for record in judged), len(judged)

    totals = {metric: count(metric, records) for metric in METRICS}
    seeds = sorted({record.seed for record in records})
    spreads: dict[str, SeedSpread] = {}
    if len(seeds) > 1:
        for metric in METRICS:
            per_seed = [count(metric, [r for r in records if r.seed == seed]) for seed in seeds]
            if all(trials for _, trials in per_seed):
                spreads[metric] = seed_spread(per_seed)
    oversight = totals["oversight_passed"]
    return StageRates(
        stage=records[0].stage,
        stage_name=records[0].stage_name,
        n=len(records),
        spec_gaming=Rate.of(*totals["spec_gaming"]),
        reward_tampering=Rate.of(*totals["reward_tampering"]),
        tamper_and_cover=Rate.of(*totals["tamper_and_cover"]),
        reward_passed=Rate.of(*totals["reward_passed"]),
        oversight_passed=Rate.of(*oversight) if oversight[1] else None,
        seeds=spreads,
    )


def summarize_stages(records: Sequence[EpisodeRecord]) -> list[StageRates]:
    """:func:`stage_rates` for each stage present in ``records``, in curriculum order."""
    by_stage: dict[int, list[EpisodeRecord]] = {}
    for record in records:
        by_stage.setdefault(record.stage, []).append(record)
    return [stage_rates(by_stage[stage]) for stage in sorted(by_stage)]


def render_rates(stage_name: str, rates: StageRates) -> str:
    """One stage's rates as a small Markdown table: count / episodes, rate and exact 95% interval."""
    rows = [
        ("reward passed", rates.reward_passed),
        ("specification gaming", rates.spec_gaming),
        ("reward tampering", rates.reward_tampering),
        ("tampering + covering", rates.tamper_and_cover),
    ]
    if rates.oversight_passed is not None:
        rows.append(("oversight passed", rates.oversight_passed))
    lines = [
        f"{stage_name}: {rates.n} episodes",
        "",
        "| outcome | count | rate [95% exact] |",
        "|---|---|---|",
    ]
    for label, rate in rows:
        lines.append(
            f"| {label} | {rate.successes}/{rate.trials} | "
            f"{100 * rate.rate:.2f}% [{100 * rate.low:.2f}, {100 * rate.high:.2f}] |"
        )
    if rates.spec_gaming.successes == 0 or rates.reward_tampering.successes == 0:
        lines += [
            "",
            f"With no events in {rates.n} episodes the one-sided 95% bound is {100 * upper_bound_zero_events(rates.n):.2f}%.",
        ]
    return "\n".join(lines)
