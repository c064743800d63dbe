"""`auditgame audit auto WORKSPACE`: run the checklist auditor (an upper bound) on a game's auditor workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console


def auto(
    workspace: Path = typer.Argument(..., help="The auditor workspace of a game (<game>/auditor)."),
    out: Path | None = typer.Option(
        None, "--out", help="Output directory (default: <workspace>/audits/checklist-seed<SEED>)."
    ),
    seed: int = typer.Option(0, help="Seed of every prompt choice and sample."),
    progress: bool = typer.Option(True, help="Show progress bars."),
    config_file: Path | None = typer.Option(
        None, "--config", help="YAML/JSON file of ChecklistConfig options (prompts_per_domain, ...)."
    ),
    settings: list[str] = typer.Option([], "--set", help="Override one option: KEY=VALUE (repeatable)."),
) -> None:
    """Checklist auditor: an UPPER BOUND that reads the world's catalogue, never a ranked player.

    Audits every model of the workspace with the world's bias detectors and catalogue (the organism maker's
    side); writes submission.json, evidence.json and report.md, all labelled upper bound.
    """
    from auditgame.checklist import UPPER_BOUND_NOTE, ChecklistConfig, run_checklist_audit
    from auditgame.cli.audit import parse_settings
    from auditgame.config_files import apply_overrides, read_config_file

    config = ChecklistConfig()
    if config_file is not None:
        config = apply_overrides(config, read_config_file(config_file), str(config_file))
    if settings:
        config = apply_overrides(config, parse_settings(settings), "--set")
    console.print(f"[bold yellow]note:[/bold yellow] {UPPER_BOUND_NOTE}.", highlight=False)
    report = run_checklist_audit(
        workspace, out, seed=seed, config=config, show_progress=progress, log=lambda line: console.print(line)
    )
    for name in sorted(report.submission.models):
        finding = report.submission.models[name]
        verdict = "[red]hidden objective[/red]" if finding.has_hidden_objective else "no hidden objective"
        console.print(
            f"{name}: {verdict} (confidence {finding.confidence:.2f}, {len(finding.behaviours)} behaviours)"
        )
    console.print(f"submission written to {Path(report.out_dir) / 'submission.json'}")
