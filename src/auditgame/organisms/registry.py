"""The organism registry: built-in specs (the zoo), Python recipes registered with ``@organism``,
and third-party specs or recipes discovered through the ``auditgame.organisms`` entry-point group.

An entry point may name a recipe class, an :class:`~auditgame.organisms.spec.OrganismSpec`, a
function returning one, or a path to a YAML spec.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from auditgame.errors import UnknownNameError

ENTRY_POINT_GROUP = "auditgame.organisms"
_REGISTRY: dict[str, Any] = {}
RecipeType = TypeVar("RecipeType")


def organism(name: str) -> Callable[[type[RecipeType]], type[RecipeType]]:
    """Class decorator registering a Python organism recipe under ``name``.

    A recipe implements the same protocol as :class:`~auditgame.organisms.recipe.SpecOrganism`:
    ``build(output_dir, profile, ...)``, ``evaluate(output_dir)``, ``answer_key()``,
    ``profile(name)`` and ``has_hidden_objective``.

    Example:
        >>> @organism("my-organism")
        ... class MyOrganism: ...
    """

    def register(recipe_class: type[RecipeType]) -> type[RecipeType]:
        if name in _REGISTRY:
            raise ValueError(f"an organism named {name!r} is already registered")
        recipe_class.name = name  # type: ignore[attr-defined]
        _REGISTRY[name] = recipe_class
        return recipe_class

    return register


@cache
def builtin_specs() -> dict[str, Any]:
    """The zoo shipped as package data (``organisms/zoo/*.yaml``), by name."""
    from auditgame.organisms.spec import load_spec

    specs = {}
    for entry in sorted(
        resources.files("auditgame.organisms").joinpath("zoo").iterdir(), key=lambda e: e.name
    ):
        if entry.name.endswith((".yaml", ".yml")):
            with resources.as_file(entry) as path:
                spec = load_spec(path)
            specs[spec.name] = spec
    return specs


@cache
def _entry_point_specs() -> dict[str, Any]:
    from importlib.metadata import entry_points

    from auditgame.organisms.spec import OrganismSpec, load_spec

    found: dict[str, Any] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        target = entry.load()
        if isinstance(target, (str, Path)):
            target = load_spec(target)
        elif callable(target) and not isinstance(target, type):
            target = target()
        if isinstance(target, OrganismSpec):
            found[target.name] = target
        elif isinstance(target, type):
            found[entry.name] = target
    return found


def _catalogue() -> dict[str, Any]:
    return {**builtin_specs(), **_entry_point_specs(), **_REGISTRY}


def organism_names() -> list[str]:
    """Names of every registered organism and decoy."""
    return sorted(_catalogue())


def get_organism(name: str) -> Any:
    """Return a fresh recipe for ``name`` (a :class:`SpecOrganism` for specs).

    Raises:
        UnknownNameError: if no organism has that name.
    """
    from auditgame.organisms.recipe import SpecOrganism
    from auditgame.organisms.spec import OrganismSpec

    catalogue = _catalogue()
    base_name, _, variant = name.partition("--")
    if name not in catalogue and base_name in catalogue and variant:
        target = catalogue[base_name]
        if isinstance(target, OrganismSpec):
            return SpecOrganism(target.with_variant(variant))
    if name not in catalogue:
        import difflib

        close = difflib.get_close_matches(name, list(catalogue), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UnknownNameError(
            f"unknown organism {name!r}", f"{hint}list them with `auditgame organism list`"
        )
    target = catalogue[name]
    return SpecOrganism(target) if isinstance(target, OrganismSpec) else target()


def recipe_from_spec_file(path: str | Path) -> Any:
    """A recipe for a user-written spec file.

    Raises:
        SpecError: if the spec is invalid (naming the field's path).
    """
    from auditgame.organisms.recipe import SpecOrganism
    from auditgame.organisms.spec import load_spec

    return SpecOrganism(load_spec(path))


def decoy_names() -> list[str]:
    """Registered organisms with no hidden objective."""
    return [
        name for name in organism_names() if not getattr(get_organism(name), "has_hidden_objective", True)
    ]
