"""Helpers shared by the CLI command groups."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from auditgame.artifacts import has_manifest, verify_artifact
from auditgame.errors import AuditgameError, one_line
from auditgame.model.loading import resolve_model_dir

__all__ = [
    "console",
    "error_console",
    "parse_named_values",
    "print_json",
    "resolve_model_dir",
    "warn",
    "warn_if_changed",
]

console = Console()
error_console = Console(stderr=True)


def parse_named_values(
    values: list[str], option: str, example: str, form: str = "NAME=VALUE"
) -> dict[str, str]:
    """Turn repeated ``NAME=VALUE`` options into ``{name: value}`` (both stripped).

    Args:
        values: What the option was given, e.g. ``["tiny=runs/tiny"]``.
        option: The option's name, for the error (``--reuse``).
        example: A well-formed value, for the error (``rm-sycophant=runs/rm1``).
        form: How the error names the expected form (``NAME=DIR``).

    Raises:
        AuditgameError: for a value without ``=`` or with an empty side.
    """
    parsed: dict[str, str] = {}
    for value in values:
        name, separator, rest = value.partition("=")
        if not separator or not name.strip() or not rest.strip():
            raise AuditgameError(f"{option} {value!r} is not {form}", f"pass e.g. {option} {example}")
        parsed[name.strip()] = rest.strip()
    return parsed


def print_json(payload: object) -> None:
    """Print ``payload`` as indented JSON on stdout."""
    console.print_json(json.dumps(payload, default=str))


def warn(message: str) -> None:
    """Print ``message`` on stderr as one ``warning:`` line (never read as rich markup)."""
    error_console.print(
        f"[yellow]warning:[/yellow] {escape(one_line(message))}", highlight=False, soft_wrap=True
    )


def warn_if_changed(directory: Path) -> bool:
    """Warn (one line, the command goes on) if an artifact's files no longer match its manifests.

    Nested artifacts (an organism's stages) are checked too. A directory without a manifest (a plain
    Hugging Face model) has nothing to check against.

    Returns:
        Whether a warning was printed.
    """
    directory = Path(directory)
    if not has_manifest(directory):
        return False
    try:
        check = verify_artifact(directory)
    except AuditgameError as error:
        warn(f"{directory} cannot be checked against its manifest: {error.problem}")
        return True
    if check.intact:
        return False
    warn(
        f"{directory} no longer matches its manifest ({check.describe().removeprefix('changed since creation: ')}); "
        f"results may not be those of the model that was built — rebuild it, or see `auditgame show {directory} --verify`"
    )
    return True
