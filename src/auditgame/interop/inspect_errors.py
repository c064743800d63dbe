"""The error auditgame raises inside inspect_ai: one line on inspect's command line, not a traceback."""

from __future__ import annotations

try:
    from inspect_ai._util.error import PrerequisiteError
except ImportError:  # pragma: no cover - the extra is missing
    from auditgame.errors import MissingExtraError

    raise MissingExtraError("inspect_ai", "inspect") from None

from auditgame.errors import AuditgameError


class AuditgameInspectError(AuditgameError, PrerequisiteError):
    """An :class:`~auditgame.errors.AuditgameError` raised by the inspect provider or tasks.

    It is also inspect's ``PrerequisiteError``, which ``inspect eval`` prints as its message alone. It
    lives here rather than in :mod:`auditgame.errors` because it needs the optional ``inspect_ai``. The
    error it stands for, when there is one, is its ``__cause__`` (``raise ... from error``).

    Args:
        problem: What is wrong, in one sentence.
        fix: What the user should do about it.
    """

    def __init__(self, problem: str, fix: str | None = None) -> None:
        super().__init__(problem, fix)  # AuditgameError's one-line message, passed on to PrerequisiteError
        message = f"{self.problem} — {self.fix}" if self.fix else self.problem
        self.args = (message,)  # PrerequisiteError does not call Exception.__init__
        self.message = message

    @classmethod
    def from_error(cls, error: AuditgameError) -> AuditgameInspectError:
        """The same problem and fix as ``error`` (raise it ``from error`` to keep the original)."""
        return cls(error.problem, error.fix)
