"""`auditgame eval`: exploitation and confession report of an organism or model."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.artifacts import atomic_write_text, has_manifest, read_manifest
from auditgame.cli.common import console, resolve_model_dir
from auditgame.organisms.registry import get_organism
from auditgame.organisms.report import OrganismReport, render_table


def evaluate(
    path: Path = typer.Argument(..., help="Organism directory, or a model directory."),
    out: Path | None = typer.Option(None, help="Also write the report as JSON here."),
    prompts_per_bias: int = typer.Option(12, min=1, help="Fresh prompts per bias (model directories only)."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Measure bias exploitation (train / held-out) and confession, against the base model."""
    from auditgame.evals.bias_exploitation import ExploitationEvalConfig
    from auditgame.evals.model_evaluation import evaluate_model

    if has_manifest(path) and read_manifest(path).kind == "organism":
        manifest = read_manifest(path)
        report = get_organism(manifest.name).evaluate(path, log=console.print, show_progress=progress)
    else:
        model_dir = resolve_model_dir(path)
        evaluation = evaluate_model(
            model_dir,
            "model",
            exploitation_config=ExploitationEvalConfig(prompts_per_bias=prompts_per_bias),
            show_progress=progress,
        )
        report = OrganismReport.from_evaluations(str(model_dir), {"model": evaluation}, {})
    console.print(render_table(report))
    if out is not None:
        atomic_write_text(out, report.model_dump_json(indent=2) + "\n")
        console.print(f"wrote {out}")
