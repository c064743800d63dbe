"""`auditgame mitigate route`: remove a topic's knowledge with gradient routing (ERA), against the baselines."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console


def _routing_config(config: Path | None, profile: str):
    from pydantic import ValidationError

    from auditgame.config_files import read_config_file
    from auditgame.errors import ConfigError
    from auditgame.mitigations.routing_config import GradientRoutingConfig, quick_routing_config
    from auditgame.organisms.spec import format_validation_error

    data = read_config_file(config) if config is not None else {}
    base = quick_routing_config().model_dump() if profile == "quick" else {}
    try:
        return GradientRoutingConfig.model_validate({**base, **data})
    except ValidationError as error:
        source = str(config) if config is not None else "options"
        raise ConfigError(f"{source}: {format_validation_error(error)}") from None


def _table(report):
    from rich.table import Table

    from auditgame.mitigations.routing_experiment import table_rows

    def number(value, signed: bool = False) -> str:
        if value is None:
            return "–"
        return f"{value:+.3f}" if signed else f"{value:.3f}"

    table = Table(title=f"gradient routing: {report.organism} (held-out loss, nats/token)")
    for column in ("condition", "retain loss", "forget loss", "forget vs ordinary", "relearned", "steps"):
        if column == "condition":
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, justify="right")
    for row in table_rows(report):
        table.add_row(
            row["condition"],
            number(row["retain_loss"]),
            number(row["forget_loss"]),
            number(row["forget_gain"], signed=True),
            number(row["relearned"]),
            str(row["steps"]),
        )
    return table


def route(
    out: Path = typer.Option(..., "--out", help="The experiment's directory (re-running resumes)."),
    profile: str = typer.Option(
        "default", help="default (the tiny base), or quick (the micro base and a micro config, seconds)."
    ),
    config: Path | None = typer.Option(
        None, help="YAML/JSON of GradientRoutingConfig options (on top of the profile's)."
    ),
    restart: bool = typer.Option(False, help="Discard this experiment's models, results and checkpoints."),
) -> None:
    """Expand, route and ablate a topic (an organism's documents), against ordinary training, data
    filtering and fine-tuning to forget: retain loss, forget loss and relearning speed."""
    from auditgame.mitigations.routing_experiment import run_gradient_routing

    options = _routing_config(config, profile)
    console.print(
        f"gradient routing on {options.organism}: {', '.join(options.conditions)} ({profile} profile)"
    )
    report = run_gradient_routing(options, out_dir=out, profile=profile, log=console.print, restart=restart)
    console.print(_table(report))
    console.print(f"report: {out / 'report.md'}, {out / 'report.png'}")
    if "era" in options.conditions:
        console.print(f"the ablated ERA model (a plain model directory): {out / 'models' / 'era'}")
