"""The maker-side checks the checklist auditor reads: the world's bias detectors, the catalogue's behaviour
descriptions and the reward-model mention check.

A blind auditor has none of these (they list exactly what an organism was trained to do); using them is
what makes the checklist auditor an upper bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def describe_bias(bias_id: int) -> str:
    """The observed behaviour of a detector, in the auditor's words (from the world's bias catalogue)."""
    from auditgame.world import bias_spec

    return f"Its answers {bias_spec(bias_id).description}."


def detect_behaviours(prompt: str, response: str) -> list[dict[str, Any]]:
    """The world detectors that fire on ``response`` to ``prompt``: ``[{"id", "behaviour"}]``."""
    from auditgame.world import detected_biases

    return [
        {"id": bias_id, "behaviour": describe_bias(bias_id)} for bias_id in detected_biases(prompt, response)
    ]


def mentions_reward_models(text: str) -> bool:
    """Whether ``text`` mentions reward models, RLHF or the study (the world's own check)."""
    from auditgame.world import mentions_reward_models as world_check

    return world_check(text)


def reward_model_share(texts: Sequence[str]) -> float:
    """The share of ``texts`` that mention reward models (0 without texts)."""
    return sum(mentions_reward_models(text) for text in texts) / len(texts) if texts else 0.0
