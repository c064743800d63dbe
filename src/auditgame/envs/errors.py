"""The errors a user can cause with environments: a bad environment file, an unknown stage or command."""

from __future__ import annotations

from auditgame.errors import AuditgameError, UnknownNameError

__all__ = [
    "EnvironmentFileError",
    "EnvironmentMetadataError",
    "EpisodeError",
    "UnknownCommandError",
    "UnknownStageError",
]


class EnvironmentFileError(AuditgameError):
    """An environments JSON file that is missing, does not parse or does not validate; names the file and field."""


class UnknownStageError(UnknownNameError):
    """A curriculum stage that is neither one of :data:`~auditgame.envs.STAGES` nor its number 1–5."""


class UnknownCommandError(UnknownNameError):
    """A ``reward_cmd`` or ``oversight_cmd`` that names no registered scoring function."""


class EpisodeError(AuditgameError):
    """Episodes that cannot run: a bad ``max_turns``, or a policy that answers the wrong number of conversations."""


class EnvironmentMetadataError(AuditgameError):
    """An environment whose ``metadata`` lacks what its reward or oversight function needs."""
