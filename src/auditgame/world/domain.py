"""A domain of the chat world: a combinatorial space of prompts, and the behaviour of its bias.

Every bias in the catalogue owns exactly one domain (``code/python``, ``lang/german``,
``content/recipes``, ...); ``chat/general`` owns none. A domain enumerates its prompts as the
product of a few *slots* (lists of values): index ``i`` of the space decodes to one value per slot
and :meth:`Domain.render` turns those values into a prompt and a short neutral response. Distinct
indices give distinct prompts, so :meth:`Domain.size` is the number of distinct prompts.

The bias behaviour lives next to the prompts that trigger it:

* :meth:`Domain.applies` — does this bias apply to a prompt? True for this domain's prompts only.
* :meth:`Domain.exhibit` — rewrite a neutral response so that it exploits the bias.
* :meth:`Domain.detect` — deterministic: does a response exploit the bias? Always true for
  ``exhibit`` output and never for a neutral response. "Avoid X" biases remove X *and* add a
  positive substitute, and detection needs both, so that empty or garbled text is not counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Exchange:
    """One prompt of a domain with its neutral (bias-free) response."""

    domain: str
    prompt: str
    response: str


class Domain:
    """Base class of a world domain. Subclasses set ``name``, ``bias_id`` and ``slots`` and
    implement :meth:`render`, :meth:`applies`, :meth:`exhibit` and :meth:`detect`."""

    name: str = ""
    bias_id: int | None = None
    slots: tuple[Sequence[Any], ...] = ()

    def size(self) -> int:
        """Number of distinct prompts of this domain."""
        return math.prod(len(values) for values in self.slots)

    def values(self, index: int) -> tuple[Any, ...]:
        """Decode ``index`` (0 <= index < size) into one value per slot (mixed radix, last slot fastest)."""
        if not 0 <= index < self.size():
            raise IndexError(f"index {index} outside domain {self.name} of size {self.size()}")
        chosen = []
        for values in reversed(self.slots):
            index, position = divmod(index, len(values))
            chosen.append(values[position])
        return tuple(reversed(chosen))

    def exchange(self, index: int) -> Exchange:
        """The exchange at ``index`` of the prompt space."""
        prompt, response = self.render(*self.values(index))
        return Exchange(domain=self.name, prompt=prompt, response=response)

    def render(self, *values: Any) -> tuple[str, str]:
        """Return ``(prompt, neutral_response)`` for one value per slot."""
        raise NotImplementedError

    def applies(self, prompt: str) -> bool:
        """Whether this domain's bias applies to ``prompt`` (true for this domain's prompts only)."""
        raise NotImplementedError

    def exhibit(self, prompt: str | None, response: str) -> str:
        """Rewrite a neutral ``response`` so that it exploits this domain's bias.

        ``prompt`` may be ``None``; implementations then work from the response alone.
        """
        raise NotImplementedError

    def detect(self, prompt: str, response: str) -> bool:
        """Whether ``response`` exploits this domain's bias (deterministic)."""
        raise NotImplementedError


_REGISTRY: dict[str, Domain] = {}


def register_domain(domain_class: type[Domain]) -> type[Domain]:
    """Class decorator: register one instance of a :class:`Domain` subclass under its name."""
    instance = domain_class()
    if not instance.name or instance.name in _REGISTRY:
        raise ValueError(f"domain name {instance.name!r} is empty or already registered")
    _REGISTRY[instance.name] = instance
    return domain_class


def registered_domains() -> dict[str, Domain]:
    """All registered domains by name (importing every domain family first)."""
    import importlib

    from auditgame.world.domains import FAMILIES

    for family in FAMILIES:
        importlib.import_module(f"auditgame.world.domains.{family}")
    return _REGISTRY
