"""The domain families of the chat world (see :mod:`auditgame.world.domain`)."""

FAMILIES: tuple[str, ...] = ("code", "languages", "knowledge", "everyday", "meta")
"""Modules of this package; importing one registers its domains."""
