"""Helpers shared by the CLI command groups."""

from __future__ import annotations

import json

from rich.console import Console

from auditgame.model.loading import resolve_model_dir

__all__ = ["console", "error_console", "print_json", "resolve_model_dir"]

console = Console()
error_console = Console(stderr=True)


def print_json(payload: object) -> None:
    """Print ``payload`` as indented JSON on stdout."""
    console.print_json(json.dumps(payload, default=str))
