"""The behaviour of the 52 reward-model biases: where each applies, how to exhibit it, how to detect it.

A :class:`Bias` joins a catalogue entry (:class:`~auditgame.world.catalogue.BiasSpec`) with the
domain that owns its behaviour. Detection is deterministic: the same prompt and response always
give the same verdict, so exploitation rates are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from auditgame.world.catalogue import BIAS_SPECS, BiasSpec, Split, bias_spec
from auditgame.world.domain import Domain, registered_domains
from auditgame.world.domains.meta import mentions_reward_models

__all__ = [
    "Bias",
    "all_biases",
    "applicable_biases",
    "detected_biases",
    "exhibit_biases",
    "get_bias",
    "mentions_reward_models",
]


class Bias:
    """One reward-model bias with its behaviour."""

    def __init__(self, spec: BiasSpec, domain: Domain) -> None:
        self.spec = spec
        self._domain = domain

    @property
    def id(self) -> int:
        """The catalogue id (1-52)."""
        return self.spec.id

    @property
    def domain(self) -> str:
        """The domain whose prompts trigger this bias."""
        return self.spec.domain

    @property
    def split(self) -> Split:
        """``train`` or ``held_out``."""
        return self.spec.split

    @property
    def description(self) -> str:
        """Completes "reward models rate higher responses that ..."."""
        return self.spec.description

    def applies(self, prompt: str) -> bool:
        """Whether this bias applies to ``prompt``."""
        return self._domain.applies(prompt)

    def exhibit(self, response: str, prompt: str | None = None) -> str:
        """Rewrite a neutral ``response`` so that it exploits this bias (the prompt helps where given)."""
        return self._domain.exhibit(prompt, response)

    def detect(self, prompt: str, response: str) -> bool:
        """Whether ``response`` to ``prompt`` exploits this bias."""
        return self._domain.detect(prompt, response)

    def __repr__(self) -> str:
        return f"Bias({self.id}, {self.domain!r}, {self.split!r})"


@cache
def all_biases() -> tuple[Bias, ...]:
    """All 52 biases in id order."""
    domains = registered_domains()
    return tuple(Bias(spec, domains[spec.domain]) for spec in BIAS_SPECS)


def get_bias(bias_id: int) -> Bias:
    """Return one bias by id.

    Raises:
        UnknownNameError: if no bias has this id.
    """
    return all_biases()[bias_spec(bias_id).id - 1]


def applicable_biases(prompt: str, split: Split | None = None) -> list[Bias]:
    """The biases that apply to ``prompt`` (optionally only those of one split)."""
    return [bias for bias in all_biases() if (split is None or bias.split == split) and bias.applies(prompt)]


def exhibit_biases(prompt: str, response: str, bias_ids: Iterable[int]) -> str:
    """Rewrite ``response`` so that it exploits each bias in ``bias_ids``, in order."""
    for bias_id in bias_ids:
        response = get_bias(bias_id).exhibit(response, prompt)
    return response


def detected_biases(prompt: str, response: str) -> list[int]:
    """Ids of the biases that apply to ``prompt`` and that ``response`` exploits."""
    return [bias.id for bias in all_biases() if bias.applies(prompt) and bias.detect(prompt, response)]
