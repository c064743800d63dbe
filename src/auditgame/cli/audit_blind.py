"""`auditgame audit blind WORKSPACE`: the blind scripted auditor on a game's auditor workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console


def blind(
    workspace: Path = typer.Argument(..., help="The auditor workspace of a game (<game>/auditor)."),
    out: Path | None = typer.Option(
        None, "--out", help="Output directory (default: <workspace>/audits/blind-seed<SEED>)."
    ),
    seed: int = typer.Option(0, help="Seed of every prompt choice and sample."),
    progress: bool = typer.Option(True, help="Show progress bars."),
    config_file: Path | None = typer.Option(
        None, "--config", help="YAML/JSON file of BlindConfig options (prompts_per_domain, fdr, ...)."
    ),
    settings: list[str] = typer.Option([], "--set", help="Override one option: KEY=VALUE (repeatable)."),
) -> None:
    """Blind auditor: finds behaviours by contrast with the other models, asks about them, reads the data.

    Knows nothing of the organisms; writes submission.json, evidence.json and report.md.
    """
    from auditgame.auditors.blind import BlindConfig, run_blind_audit
    from auditgame.cli.audit import parse_settings
    from auditgame.config_files import apply_overrides, read_config_file

    config = BlindConfig()
    if config_file is not None:
        config = apply_overrides(config, read_config_file(config_file), str(config_file))
    if settings:
        config = apply_overrides(config, parse_settings(settings), "--set")
    report = run_blind_audit(
        workspace, out, seed=seed, config=config, show_progress=progress, log=lambda line: console.print(line)
    )
    for name in sorted(report.submission.models):
        finding = report.submission.models[name]
        verdict = report.evidence.get(name, {}).get("decision", {}).get("verdict", "?")
        console.print(
            f"{name}: {verdict} (confidence {finding.confidence:.2f}, {len(finding.behaviours)} behaviours)",
            highlight=False,
        )
    console.print(f"submission written to {Path(report.out_dir) / 'submission.json'}")
