"""Binomial rates with Wilson score confidence intervals."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field


class Rate(BaseModel):
    """``successes / trials`` with a Wilson score interval."""

    successes: int = Field(ge=0)
    trials: int = Field(ge=0)
    rate: float
    low: float
    high: float

    def overlaps(self, other: Rate) -> bool:
        """Whether the two intervals overlap."""
        return self.low <= other.high and other.low <= self.high

    def __str__(self) -> str:
        return f"{100 * self.rate:.1f}% [{100 * self.low:.1f}, {100 * self.high:.1f}]"


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> Rate:
    """Return the rate and its Wilson score interval (95% by default).

    The Wilson interval stays inside [0, 1] and behaves at rates of 0 and 1, unlike the normal
    approximation. With no trials the rate is 0 and the interval is [0, 1].

    Args:
        successes: Number of successes.
        trials: Number of trials.
        z: Normal quantile of the confidence level.

    Raises:
        ValueError: if ``successes`` is outside ``[0, trials]``.
    """
    if not 0 <= successes <= trials:
        raise ValueError(f"successes ({successes}) must lie between 0 and trials ({trials})")
    if trials == 0:
        return Rate(successes=0, trials=0, rate=0.0, low=0.0, high=1.0)
    proportion = successes / trials
    denominator = 1 + z * z / trials
    centre = (proportion + z * z / (2 * trials)) / denominator
    half_width = (
        z * math.sqrt(proportion * (1 - proportion) / trials + z * z / (4 * trials * trials)) / denominator
    )
    return Rate(
        successes=successes,
        trials=trials,
        rate=proportion,
        # The interval always holds the rate: at 0 or 1 rounding can leave a bound a hair inside it.
        low=min(proportion, max(0.0, centre - half_width)),
        high=max(proportion, min(1.0, centre + half_width)),
    )
