"""`auditgame eval`: behaviour and confession rates of a built organism (or decoy), against its base."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.artifacts import atomic_write_text, has_manifest, read_manifest
from auditgame.cli.common import console, warn_if_changed
from auditgame.errors import ArtifactNotFoundError


def evaluate(
    path: Path = typer.Argument(..., help="An organism directory written by `auditgame organism build`."),
    out: Path | None = typer.Option(None, help="Also write the report as JSON here."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Re-run the organism's own evals on fresh prompts: its final model against its base."""
    from auditgame.organisms.recipe import BuildPlan, SpecOrganism
    from auditgame.organisms.registry import get_organism
    from auditgame.organisms.report import render_behaviours, render_table

    if not (has_manifest(path) and read_manifest(path).kind == "organism"):
        raise ArtifactNotFoundError(
            f"{path} is not a built organism (no organism manifest)",
            "pass a directory written by `auditgame organism build` or `auditgame zoo build`",
        )
    manifest = read_manifest(path)
    warn_if_changed(path)  # the organism and every stage: a flipped byte changes what is evaluated
    try:
        recipe = SpecOrganism(BuildPlan.model_validate(manifest.config).spec)
    except ValueError:
        recipe = get_organism(manifest.name)
    report = recipe.evaluate(path, log=console.print, show_progress=progress)
    console.print(render_table(report))
    console.print(render_behaviours(report))
    if out is not None:
        atomic_write_text(out, report.model_dump_json(indent=2) + "\n")
        console.print(f"wrote {out}")
