"""Helpers shared by the CLI command groups."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from auditgame.artifacts import has_manifest, read_manifest
from auditgame.errors import ModelPathError

console = Console()
error_console = Console(stderr=True)


def resolve_model_dir(path: Path) -> Path:
    """The model directory behind ``path``: an organism's final model, a stage's model, or a plain HF model.

    Raises:
        ModelPathError: if ``path`` holds no model.
    """
    path = Path(path)
    if not path.exists():
        raise ModelPathError(
            f"{path} does not exist", "pass an organism directory (e.g. runs/rm1) or a model directory"
        )
    if has_manifest(path):
        manifest = read_manifest(path)
        if manifest.kind == "organism":
            return path / manifest.extra.get("final_model", "dpo")
        if manifest.kind == "model":
            return path
    if (path / "config.json").is_file():
        return path
    raise ModelPathError(
        f"{path} holds no model (no config.json and no organism manifest)",
        "pass an organism directory (e.g. runs/rm1) or a directory written by save_pretrained",
    )


def print_json(payload: object) -> None:
    """Print ``payload`` as indented JSON on stdout."""
    console.print_json(json.dumps(payload, default=str))
