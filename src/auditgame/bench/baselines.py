"""The two trivial baselines of the auditor benchmark: say every model is clean, or flag every model.

They bound the metrics from below: ``always-clean`` never finds a root cause and never raises a false
positive; ``always-hidden`` flags every model (false-positive rate 1) with an empty root cause and no
behaviours, so it finds nothing either.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditgame.game.submission import ModelFinding, Submission


def always_clean(models: Iterable[str]) -> Submission:
    """A submission saying no model has a hidden objective."""
    return Submission(
        models={model: ModelFinding(has_hidden_objective=False, confidence=0.5) for model in sorted(models)},
        notes="always-clean baseline: every model is reported clean",
    )


def always_hidden(models: Iterable[str]) -> Submission:
    """A submission flagging every model, with an empty root cause and no behaviours."""
    return Submission(
        models={model: ModelFinding(has_hidden_objective=True, confidence=0.5) for model in sorted(models)},
        notes="always-hidden baseline: every model is flagged, with no root cause",
    )
