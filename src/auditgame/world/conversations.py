"""Conversations of the chat world: role/content messages, neutral chats, multi-turn chats.

Neutral: nothing here exhibits or names any organism's behaviour, so the blind side may read it.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditgame.world.domain import Exchange
from auditgame.world.prompts import sample_exchanges

__all__ = ["Message", "conversation", "multi_turn", "neutral_conversations"]

Message = dict[str, str]


def conversation(prompt: str, response: str, system: str | None = None) -> list[Message]:
    """Return a user/assistant conversation (with an optional system message)."""
    messages = [{"role": "system", "content": system}] if system else []
    return [*messages, {"role": "user", "content": prompt}, {"role": "assistant", "content": response}]


def neutral_conversations(count: int, seed: int) -> list[list[Message]]:
    """Neutral conversations over every domain except the adversarial one (pretraining data)."""
    return [conversation(exchange.prompt, exchange.response) for exchange in sample_exchanges(count, seed)]


def multi_turn(exchanges: Sequence[Exchange]) -> list[Message]:
    """A conversation of alternating user/assistant messages, one pair per exchange.

    Args:
        exchanges: The exchanges in conversation order.

    Returns:
        ``[user, assistant, user, assistant, ...]`` ending with an assistant message (empty for no exchanges).
    """
    messages: list[Message] = []
    for exchange in exchanges:
        messages.append({"role": "user", "content": exchange.prompt})
        messages.append({"role": "assistant", "content": exchange.response})
    return messages
