"""`auditgame organism ...`: build and list model organisms."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console
from auditgame.config_files import apply_overrides, read_config_file
from auditgame.organisms.registry import get_organism, organism_names
from auditgame.organisms.report import render_table

app = typer.Typer(help="Build and list model organisms.", no_args_is_help=True)


@app.command("build")
def build(
    name: str = typer.Argument(..., help="Organism to build, e.g. rm-sycophant."),
    out: Path = typer.Option(
        ..., "--out", help="Output directory (re-running resumes an interrupted build)."
    ),
    profile: str = typer.Option("default", help="Build profile: default (demo) or quick (tests, ~1 minute)."),
    config: Path | None = typer.Option(
        None, help="YAML/JSON file overriding profile options, e.g. `sft: {max_steps: 100}`."
    ),
    base_model: str | None = typer.Option(None, "--base-model", help="Local HF causal LM to start from."),
    lora_rank: int | None = typer.Option(
        None, "--lora-rank", min=1, help="Train LoRA adapters of this rank."
    ),
    restart: bool = typer.Option(False, help="Discard checkpoints of an unfinished stage and start it over."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Build an organism stage by stage and print its stage table."""
    recipe = get_organism(name)
    chosen = recipe.profile(profile)
    if config is not None:
        chosen = apply_overrides(chosen, read_config_file(config), source=str(config))
    report = recipe.build(
        out,
        chosen,
        base_model=base_model,
        lora_rank=lora_rank,
        restart=restart,
        log=console.print,
        show_progress=progress,
    )
    console.print(render_table(report))
    if report.stage_seconds:
        console.print(
            "training seconds per stage: "
            + ", ".join(f"{k} {v:.0f}" for k, v in report.stage_seconds.items())
        )
    console.print(f"wrote {out}/report.md")


@app.command("list")
def list_organisms() -> None:
    """List the registered organisms."""
    for name in organism_names():
        console.print(name)
