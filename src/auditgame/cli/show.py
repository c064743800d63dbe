"""`auditgame show`: what an artifact is, from its manifest."""

from __future__ import annotations

import datetime
from pathlib import Path

import typer
from rich.table import Table

from auditgame.artifacts import read_manifest, verify_artifact
from auditgame.cli.common import console, print_json


def show(
    path: Path = typer.Argument(..., help="An artifact directory (has manifest.json)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole manifest as JSON."),
    verify: bool = typer.Option(
        False,
        help="Re-hash the payload, nested stages included, and report files that changed, are gone or were added.",
    ),
) -> None:
    """Describe an artifact: kind, name, seed, versions, parents, payload and summary."""
    manifest = read_manifest(path)
    if as_json:
        print_json(manifest.model_dump(mode="json"))
        return
    table = Table(show_header=False, title=str(path))
    created = datetime.datetime.fromtimestamp(manifest.created_unix, tz=datetime.timezone.utc)
    table.add_row("kind", manifest.kind)
    table.add_row("name", manifest.name or "–")
    table.add_row("seed", str(manifest.seed))
    table.add_row("created", created.strftime("%Y-%m-%d %H:%M:%S UTC"))
    table.add_row("versions", ", ".join(f"{k} {v}" for k, v in manifest.versions.items()))
    table.add_row("parents", "\n".join(manifest.parents) or "–")
    table.add_row("files", f"{len(manifest.hashes)} hashed")
    for key, value in manifest.extra.items():
        table.add_row(key, str(value)[:300])
    console.print(table)
    report = Path(path) / "report.md"
    if report.is_file():
        console.print(report.read_text(encoding="utf-8"), markup=False, highlight=False)
    if verify:
        check = verify_artifact(path)
        console.print(check.describe(), markup=False, highlight=False, soft_wrap=True)
        if not check.intact:
            raise typer.Exit(1)
