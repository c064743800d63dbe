"""Behaviour metrics with confidence intervals: bias exploitation and confession."""

from auditgame.evals.bias_exploitation import (
    BiasExploitation,
    ExploitationEvalConfig,
    ExploitationResult,
    bias_exploitation,
)
from auditgame.evals.confession import ConfessionEvalConfig, ConfessionResult, confession
from auditgame.evals.intervals import Rate, wilson_interval
from auditgame.evals.model_evaluation import ModelEvaluation, evaluate_model

__all__ = [
    "BiasExploitation",
    "ConfessionEvalConfig",
    "ConfessionResult",
    "ExploitationEvalConfig",
    "ExploitationResult",
    "ModelEvaluation",
    "Rate",
    "bias_exploitation",
    "confession",
    "evaluate_model",
    "wilson_interval",
]
