"""`auditgame organism ...`: list, inspect and build model organisms (built-in or written as YAML)."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console
from auditgame.config_files import apply_overrides, read_config_file
from auditgame.errors import ConfigError

app = typer.Typer(help="List, inspect and build model organisms.", no_args_is_help=True)


def _recipe(name: str | None, spec: Path | None, variant: str | None):
    from auditgame.organisms.recipe import SpecOrganism
    from auditgame.organisms.registry import get_organism, recipe_from_spec_file

    if (name is None) == (spec is None):
        raise ConfigError(
            "give an organism name or --spec FILE, not both or neither", "see `auditgame organism list`"
        )
    recipe = recipe_from_spec_file(spec) if spec is not None else get_organism(name)
    if variant:
        if not isinstance(recipe, SpecOrganism):
            raise ConfigError(f"{recipe.name} has no variants", "drop --variant")
        recipe = SpecOrganism(recipe.spec.with_variant(variant))
    return recipe


@app.command("build")
def build(
    name: str | None = typer.Argument(None, help="Built-in organism, e.g. flattery (see `organism list`)."),
    out: Path = typer.Option(
        ..., "--out", help="Output directory (re-running resumes an interrupted build)."
    ),
    spec: Path | None = typer.Option(None, "--spec", help="A user-written YAML/JSON spec instead of a name."),
    variant: str | None = typer.Option(None, help="Implant-concealment variant, e.g. transcripts-dpo."),
    profile: str = typer.Option("default", help="Build profile: default or quick (tests, ~1 minute)."),
    config: Path | None = typer.Option(
        None, help="YAML/JSON overriding the plan, e.g. `spec: {training: {sft: {max_steps: 300}}}`."
    ),
    base_dir: Path | None = typer.Option(None, "--base-dir", help="Use this pretrained model as the base."),
    base_model: str | None = typer.Option(
        None, "--base-model", help="Local HF causal LM the base starts from."
    ),
    lora_rank: int | None = typer.Option(
        None, "--lora-rank", min=1, help="Train LoRA adapters of this rank."
    ),
    restart: bool = typer.Option(False, help="Discard checkpoints of an unfinished stage and start it over."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Build an organism from the shared base, stage by stage, and print its report."""
    from auditgame.organisms.report import render_behaviours, render_table

    recipe = _recipe(name, spec, variant)
    chosen = recipe.profile(profile)
    if config is not None:
        chosen = apply_overrides(chosen, read_config_file(config), source=str(config))
    options = {"base_dir": base_dir} if base_dir is not None else {}
    report = recipe.build(
        out,
        chosen,
        base_model=base_model,
        lora_rank=lora_rank,
        restart=restart,
        log=console.print,
        show_progress=progress,
        **options,
    )
    console.print(render_table(report))
    console.print(render_behaviours(report))
    console.print(f"wrote {out}/report.md")


@app.command("list")
def list_organisms() -> None:
    """Every registered organism and decoy: behaviours (trigger → transform), implant, concealment."""
    from rich.table import Table

    from auditgame.organisms.recipe import SpecOrganism
    from auditgame.organisms.registry import get_organism, organism_names

    table = Table()
    table.add_column("organism", no_wrap=True)
    for header in ("kind", "behaviours (trigger → transform)", "implant", "concealment", "variants"):
        table.add_column(header, overflow="fold")
    for organism_name in organism_names():
        recipe = get_organism(organism_name)
        if not isinstance(recipe, SpecOrganism):
            table.add_row(organism_name, "recipe", "(Python recipe)", "", "", "")
            continue
        spec = recipe.spec
        behaviours = spec.all_behaviours()
        shown = ", ".join(f"{b.trigger.kind} → {b.transform.kind}" for b in behaviours[:2])
        if len(behaviours) > 2:
            shown += f", … ({len(behaviours)} in all)"
        table.add_row(
            organism_name,
            "hidden" if spec.has_hidden_objective else "decoy",
            shown,
            spec.implant.method,
            spec.concealment.method,
            ", ".join(spec.variant_ids()[1:]) or "–",
        )
    console.print(table)


@app.command("spec")
def show_spec(name: str = typer.Argument(..., help="Built-in organism name.")) -> None:
    """Print a built-in organism's spec as YAML (a starting point for your own)."""
    import yaml

    from auditgame.organisms.recipe import SpecOrganism
    from auditgame.organisms.registry import get_organism

    recipe = get_organism(name)
    if not isinstance(recipe, SpecOrganism):
        raise ConfigError(f"{name} is a Python recipe, not a spec", "read its source instead")
    data = recipe.spec.model_dump(mode="json", exclude_unset=True)
    # Plain output: a console would wrap long lines and break the YAML.
    typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000), nl=False)


@app.command("check")
def check(spec: Path = typer.Argument(..., help="A YAML/JSON spec file.")) -> None:
    """Validate a spec file without building it."""
    from auditgame.organisms.spec import load_spec

    loaded = load_spec(spec)
    console.print(
        f"ok: {loaded.name}, {len(loaded.all_behaviours())} behaviours, variants: {', '.join(loaded.variant_ids())}"
    )
