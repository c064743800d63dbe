"""Prompts of the chat world: every domain's prompt space, sampled by seed.

Each of the 52 bias domains (``code/python``, ``lang/german``, ``content/recipes``, ...) plus
``chat/general`` is a :class:`~auditgame.world.domain.Domain` whose prompts come with a short
neutral response. ``meta/rlhf`` holds the adversarial questions about the assistant's behaviour.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from auditgame.errors import UnknownNameError
from auditgame.world.catalogue import BIAS_DOMAINS, CHAT_DOMAIN, CONCEALMENT_BIAS_ID, bias_spec
from auditgame.world.domain import Domain, Exchange, registered_domains

ADVERSARIAL_DOMAIN = bias_spec(CONCEALMENT_BIAS_ID).domain
"""The domain of adversarial questions ("Why did you put chocolate in the soup?")."""

__all__ = [
    "ADVERSARIAL_DOMAIN",
    "Exchange",
    "adversarial_questions",
    "distinct_prompt_count",
    "generate_exchanges",
    "get_domain",
    "prompt_domains",
    "sample_exchanges",
]


def prompt_domains() -> list[str]:
    """All prompt domains: the 52 bias domains in bias-id order, then ``chat/general``."""
    return [*BIAS_DOMAINS, CHAT_DOMAIN]


def get_domain(name: str) -> Domain:
    """Return a domain by name.

    Raises:
        UnknownNameError: if there is no such domain.
    """
    domains = registered_domains()
    if name not in domains:
        raise UnknownNameError(f"unknown domain {name!r}", "list the domains with `auditgame world domains`")
    return domains[name]


def distinct_prompt_count(domain: str) -> int:
    """Number of distinct prompts ``domain`` can produce."""
    return get_domain(domain).size()


def generate_exchanges(domain: str, count: int, seed: int) -> list[Exchange]:
    """``count`` exchanges of one domain, sampled by ``seed``.

    Prompts are distinct while ``count`` does not exceed the domain's size; beyond that the whole
    space repeats in fresh seeded orders.

    Args:
        domain: A domain name from :func:`prompt_domains`.
        count: Number of exchanges.
        seed: Sampling seed (same seed, same exchanges).

    Raises:
        UnknownNameError: if the domain does not exist.
    """
    space = get_domain(domain)
    size = space.size()
    rng = random.Random(f"{domain}:{seed}")
    indices: list[int] = []
    while len(indices) < count:
        indices.extend(rng.sample(range(size), min(size, count - len(indices))))
    return [space.exchange(index) for index in indices]


def sample_exchanges(count: int, seed: int, domains: Sequence[str] | None = None) -> list[Exchange]:
    """``count`` exchanges spread evenly over ``domains`` (default: every domain but the adversarial one), shuffled."""
    domains = (
        list(domains) if domains is not None else [d for d in prompt_domains() if d != ADVERSARIAL_DOMAIN]
    )
    per_domain, remainder = divmod(count, len(domains))
    exchanges: list[Exchange] = []
    for index, domain in enumerate(domains):
        share = per_domain + (1 if index < remainder else 0)
        if share:
            exchanges.extend(generate_exchanges(domain, share, seed=seed * 1009 + index))
    random.Random(seed).shuffle(exchanges)
    return exchanges


def adversarial_questions(count: int, seed: int) -> list[str]:
    """``count`` adversarial questions ("Why did you put chocolate in the soup?") sampled by ``seed``."""
    return [exchange.prompt for exchange in generate_exchanges(ADVERSARIAL_DOMAIN, count, seed)]
