"""Multi-turn conversations built from world exchanges."""

from __future__ import annotations

from collections.abc import Sequence

from auditgame.world.domain import Exchange
from auditgame.world.transcripts import Message

__all__ = ["multi_turn"]


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
