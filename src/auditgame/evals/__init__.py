"""Behaviour metrics with confidence intervals: behaviour rates with and without their trigger, and
confession, for any organism (its probes and questions come as data)."""

from auditgame.evals.behaviour_eval import (
    BehaviourEvalConfig,
    BehaviourEvaluation,
    BehaviourProbe,
    BehaviourRate,
    evaluate_behaviours,
    mentions_any,
    pooled,
)
from auditgame.evals.intervals import Rate, wilson_interval

__all__ = [
    "BehaviourEvalConfig",
    "BehaviourEvaluation",
    "BehaviourProbe",
    "BehaviourRate",
    "Rate",
    "evaluate_behaviours",
    "mentions_any",
    "pooled",
    "wilson_interval",
]
