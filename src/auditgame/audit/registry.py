"""The technique registry: audit techniques register themselves by name with ``@technique``.

A technique is a function ``(target, config) -> TechniqueResult`` whose config is a pydantic model.
Registration records the config class, so the CLI can build and validate configs for any technique.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from pydantic import BaseModel

from auditgame.errors import UnknownNameError


class RegisteredTechnique(NamedTuple):
    """A technique as the registry knows it."""

    name: str
    function: Callable[..., Any]
    config_class: type[BaseModel]
    target_kind: str
    """What the technique takes as its target: 'model', 'corpus' or 'model-pair'."""
    summary: str


_REGISTRY: dict[str, RegisteredTechnique] = {}


def technique(
    name: str, *, config: type[BaseModel], target: str = "model"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering an audit technique under ``name``.

    Args:
        name: The technique's name on the command line (``auditgame audit NAME``).
        config: Its pydantic config class.
        target: What it audits: ``model``, ``corpus`` or ``model-pair``.
    """

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"a technique named {name!r} is already registered")
        summary = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""
        _REGISTRY[name] = RegisteredTechnique(name, function, config, target, summary)
        return function

    return register


def technique_names() -> list[str]:
    """Names of every registered technique."""
    _load_builtin_techniques()
    return sorted(_REGISTRY)


def get_technique(name: str) -> RegisteredTechnique:
    """Return the registered technique ``name``.

    Raises:
        UnknownNameError: if no technique has that name.
    """
    _load_builtin_techniques()
    if name not in _REGISTRY:
        raise UnknownNameError(
            f"unknown technique {name!r}", f"choose one of: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name]


def _load_builtin_techniques() -> None:
    import importlib

    for module in (
        "sampling",
        "data_search",
        "sae.technique",
        "logit_lens",
        "probes",
        "steering",
        "fuzzing",
        "diffing",
    ):
        try:
            importlib.import_module(f"auditgame.audit.{module}")
        except ModuleNotFoundError as error:
            # Only tolerate technique modules that do not exist yet, never a broken import inside one.
            if error.name != f"auditgame.audit.{module}":
                raise
