"""User-facing errors.

Every error a user can cause by bad input is one of these classes. The CLI prints
``str(error)`` on one line and exits with a non-zero code; it never shows a traceback
for them. Messages name the problem *and* what to do about it.
"""

from __future__ import annotations


class AuditgameError(Exception):
    """Base class of every error that is the user's to fix.

    Args:
        problem: What is wrong, in one sentence.
        fix: What the user should do about it.
    """

    exit_code = 2

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} — {fix}" if fix else problem)


class UnknownNameError(AuditgameError):
    """An organism, bias, preset, stage or technique name that is not registered."""


class ConfigError(AuditgameError):
    """A malformed or invalid YAML/JSON configuration."""


class ModelPathError(AuditgameError):
    """A path that should hold a model or tokenizer but does not."""


class CheckpointError(AuditgameError):
    """A corrupt or half-written training checkpoint."""


class ArtifactConflictError(AuditgameError):
    """An output directory that already holds a different artifact."""


class ArtifactNotFoundError(AuditgameError):
    """A path that should hold an artifact (a directory with ``manifest.json``) but does not."""


class MissingExtraError(AuditgameError):
    """An optional dependency that is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this feature needs the optional package '{package}'",
            f"install it with: pip install 'auditgame[{extra}]'",
        )


class SpecError(AuditgameError):
    """An organism spec that is malformed or invalid; the message names the field's path."""
