"""The organism registry: recipes register themselves by name with ``@organism``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from auditgame.errors import UnknownNameError

_REGISTRY: dict[str, Any] = {}
RecipeType = TypeVar("RecipeType")


def organism(name: str) -> Callable[[type[RecipeType]], type[RecipeType]]:
    """Class decorator registering an organism recipe under ``name``.

    Example:
        >>> @organism("my-organism")
        ... class MyOrganism(OrganismRecipe): ...
    """

    def register(recipe_class: type[RecipeType]) -> type[RecipeType]:
        if name in _REGISTRY:
            raise ValueError(f"an organism named {name!r} is already registered")
        recipe_class.name = name  # type: ignore[attr-defined]
        _REGISTRY[name] = recipe_class
        return recipe_class

    return register


def organism_names() -> list[str]:
    """Names of every registered organism."""
    _load_builtin_recipes()
    return sorted(_REGISTRY)


def get_organism(name: str) -> Any:
    """Return a fresh instance of the recipe registered as ``name``.

    Raises:
        UnknownNameError: if no organism has that name.
    """
    _load_builtin_recipes()
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown organism {name!r}", f"choose one of: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]()


def _load_builtin_recipes() -> None:
    # Importing the recipe modules runs their @organism decorators.
    from auditgame.organisms import decoys, rm_sycophant  # noqa: F401
