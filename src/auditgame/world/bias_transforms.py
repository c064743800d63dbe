"""The 52 reward-model biases as one behaviour set: a bespoke transform per catalogue bias.

The catalogue's behaviour (where a bias applies, how to exhibit it, how to detect it) is hand-written
per domain, so it is registered here as one Python transform kind, ``rm_bias``, rather than
expressed with the parameterised kinds.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field

from auditgame.world.transforms import Transform, register_transform


@register_transform
class RewardModelBiasTransform(Transform):
    """Exhibit / detect one bias of the reward-model catalogue (by id, 1-52)."""

    kind: Literal["rm_bias"] = "rm_bias"
    bias_id: int = Field(ge=1, le=52, description="Catalogue id, see `auditgame world biases`.")

    def applies(self, prompt: str, response: str) -> bool:
        """Whether the bias applies to ``prompt``."""
        from auditgame.world.biases import get_bias

        return get_bias(self.bias_id).applies(prompt)

    def apply(self, prompt: str, response: str, rng: random.Random) -> str:
        """The neutral ``response`` rewritten to exploit the bias."""
        from auditgame.world.biases import get_bias

        return get_bias(self.bias_id).exhibit(response, prompt)

    def detect(self, prompt: str, response: str) -> bool:
        """Whether ``response`` exploits the bias."""
        from auditgame.world.biases import get_bias

        return get_bias(self.bias_id).detect(prompt, response)
