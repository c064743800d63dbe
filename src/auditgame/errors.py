"""User-facing errors.

Every error a user can cause by bad input is one of these classes. The CLI prints
``str(error)`` on one line and exits with a non-zero code; it never shows a traceback
for them. Messages name the problem *and* what to do about it.
"""

from __future__ import annotations

import re

MAX_MESSAGE_PART = 1000
"""The longest problem or fix a message shows; longer text (a 10 MB key, a pasted file) is cut in the middle."""

_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(text: str, limit: int = MAX_MESSAGE_PART) -> str:
    """``text`` made safe to print as (part of) one line of a message.

    Line breaks become spaces, other control characters (terminal escapes) become ``\\xNN`` escapes, and
    text longer than ``limit`` keeps its start and end around a note of how much was cut.
    """
    text = _LINE_BREAKS.sub(" ", str(text))
    text = _CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
    if len(text) <= limit:
        return text
    head = (limit * 2) // 3
    tail = limit - head
    return f"{text[:head]}…[{len(text) - head - tail} characters cut]…{text[-tail:]}"


class AuditgameError(Exception):
    """Base class of every error that is the user's to fix.

    ``problem`` and ``fix`` are made one line each and cut to :data:`MAX_MESSAGE_PART` characters, so a
    message that quotes hostile input (a huge or multi-line name) still prints as one short line.

    Args:
        problem: What is wrong, in one sentence.
        fix: What the user should do about it.
    """

    exit_code = 2

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = one_line(problem)
        self.fix = one_line(fix) if fix else fix
        super().__init__(f"{self.problem} — {self.fix}" if self.fix else self.problem)


class AuditgameWarning(UserWarning):
    """Something the user should know that does not stop the command (the CLI prints it on one line)."""


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


class FileAccessError(AuditgameError):
    """A file or directory that cannot be read or written: permissions, a read-only disk, a full disk."""


class OutputExistsError(AuditgameError):
    """An output file that already exists and would be overwritten without ``--force``."""


class GenerationRequestError(AuditgameError):
    """A generation request a model cannot serve: empty or non-UTF-8 text, or more tokens than allowed.

    Args:
        problem: What is wrong, in one sentence.
        fix: What the user should do about it.
        code: A short machine-readable reason (``invalid_text``, ``empty_prompt``, ``invalid_value``,
            ``context_length_exceeded``), e.g. for an API's error body.
    """

    def __init__(self, problem: str, fix: str | None = None, *, code: str = "invalid_request") -> None:
        super().__init__(problem, fix)
        self.code = code
