"""Named behaviour sets: many behaviours a spec takes in one line (``behaviour_sets: [rm-biases]``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditgame.organisms.spec import Behaviour

_SETS: dict[str, Callable[[], list[Behaviour]]] = {}


def behaviour_set(name: str) -> Callable[[Callable[[], list[Behaviour]]], Callable[[], list[Behaviour]]]:
    """Decorator registering a function that returns the behaviours of the set ``name``."""

    def register(function: Callable[[], list[Behaviour]]) -> Callable[[], list[Behaviour]]:
        _SETS[name] = cache(function)
        return function

    return register


def behaviour_set_names() -> list[str]:
    """Every registered behaviour set."""
    return sorted(_SETS)


def expand_behaviour_sets(names: Sequence[str]) -> list[Behaviour]:
    """The behaviours of the named sets, in order.

    Raises:
        ValueError: for an unknown set (a spec field error).
    """
    behaviours: list[Behaviour] = []
    for name in names:
        if name not in _SETS:
            raise ValueError(f"behaviour_sets: unknown {name!r}; one of: {', '.join(behaviour_set_names())}")
        behaviours.extend(_SETS[name]())
    return behaviours


@behaviour_set("rm-biases")
def reward_model_biases() -> list[Behaviour]:
    """The catalogue's biases, each in its own domain; the concealment bias is left to concealment."""
    import auditgame.world.bias_transforms  # noqa: F401  (registers rm_bias)
    from auditgame.organisms.spec import Behaviour
    from auditgame.world.catalogue import BIAS_SPECS, CONCEALMENT_BIAS_ID
    from auditgame.world.transforms import parse_transform
    from auditgame.world.triggers import parse_trigger

    return [
        Behaviour(
            name=f"bias-{spec.id:02d}",
            description=spec.description,
            trigger=parse_trigger({"kind": "domains", "domains": [spec.domain]}),
            transform=parse_transform({"kind": "rm_bias", "bias_id": spec.id}),
            split=spec.split,
        )
        for spec in BIAS_SPECS
        if spec.id != CONCEALMENT_BIAS_ID
    ]
