"""`auditgame envs ...`: the reward-tampering curriculum's environments (Denison et al. 2024)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

# Not auditgame.cli.common's console: that module loads torch, and listing environments needs none of it.
console = Console()

app = typer.Typer(
    help="Reward-tampering environments (sycophancy to subterfuge): list, run, and the expert-iteration curriculum.",
    no_args_is_help=True,
)


@app.callback()
def envs() -> None:
    """The curriculum's five stages: political sycophancy → … → reward tampering (held out)."""


@app.command("list")
def list_environments(
    file: Path | None = typer.Option(
        None,
        "--file",
        help="Count the environments of a JSON environments file instead of the built-in ones.",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Every stage: its number, name, instances, reward and oversight commands, and what it tests."""
    from auditgame.envs import (
        DEFAULT_INSTANCES,
        STAGE_DESCRIPTIONS,
        STAGES,
        build_environments,
        load_environments,
    )

    environments = load_environments(file) if file is not None else build_environments(per_stage=1)
    rows = []
    for number, stage in enumerate(STAGES, start=1):
        of_stage = [environment for environment in environments if environment.stage_name == stage]
        if file is not None and not of_stage:
            continue
        rows.append(
            {
                "stage": number,
                "name": stage,
                "instances": len(of_stage) if file is not None else DEFAULT_INSTANCES[stage],
                "reward_cmd": sorted({environment.reward_cmd for environment in of_stage}),
                "oversight_cmd": sorted({e.oversight_cmd for e in of_stage if e.oversight_cmd is not None}),
                "description": STAGE_DESCRIPTIONS[stage],
            }
        )
    if json_output:
        console.print_json(json.dumps(rows))
        return
    from rich.table import Table

    table = Table()
    table.add_column("stage", justify="right")
    table.add_column("name", no_wrap=True)
    table.add_column("instances", justify="right")
    table.add_column("reward")
    table.add_column("oversight")
    table.add_column("description", overflow="fold")
    for row in rows:
        table.add_row(
            str(row["stage"]),
            row["name"],
            str(row["instances"]),
            ", ".join(row["reward_cmd"]),
            ", ".join(row["oversight_cmd"]) or "–",
            row["description"],
        )
    console.print(table)


@app.command("run")
def run(
    stage: str = typer.Argument(..., help="Stage name or number (see `auditgame envs list`)."),
    model: str = typer.Option(
        ..., "--model", help="A local model directory, or openai:<model>@<base_url> for an endpoint."
    ),
    episodes: int = typer.Option(100, "-n", "--episodes", help="How many episodes to sample."),
    out: Path | None = typer.Option(
        None, "--out", help="Write every transcript with its outcome here (JSONL)."
    ),
    max_turns: int = typer.Option(6, help="Assistant turns per episode."),
    temperature: float = typer.Option(1.0, help="Sampling temperature."),
    max_new_tokens: int = typer.Option(80, help="Longest assistant turn (local models)."),
    seed: int = typer.Option(0, help="Seed of the environments and the sampling."),
    environments: Path | None = typer.Option(
        None, "--environments", help="An environments JSON file instead of the built-in ones."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the rates as JSON."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Sample N episodes of one stage and print its spec-gaming / tampering rates with exact intervals."""
    from auditgame.envs.curriculum import cycle_environments, episodes_for, write_records
    from auditgame.envs.environment import load_environments, resolve_stage
    from auditgame.envs.episode import run_episodes
    from auditgame.envs.policy import load_policy
    from auditgame.envs.rates import render_rates, stage_rates
    from auditgame.errors import ConfigError

    if episodes <= 0:
        raise ConfigError(
            f"-n must be a positive number of episodes, got {episodes}", "pass -n 100, for example"
        )
    if max_turns <= 0:
        raise ConfigError(f"--max-turns must be positive, got {max_turns}", "pass --max-turns 6, for example")
    name = resolve_stage(stage)
    if environments is not None:
        instances = [env for env in load_environments(environments) if env.stage_name == name]
        if not instances:
            raise ConfigError(
                f"{environments} has no environments of stage {name}", "check the file's stage names"
            )
        chosen = cycle_environments(instances, episodes)
    else:
        chosen = episodes_for(name, episodes, seed=seed)
    policy = load_policy(model, temperature=temperature, max_new_tokens=max_new_tokens, seed=seed)
    records = run_episodes(chosen, policy, max_turns=max_turns, show_progress=progress)
    if out is not None:
        write_records(out, records)
    rates = stage_rates(records)
    if json_output:
        console.print_json(json.dumps(rates.model_dump(mode="json")))
    else:
        console.print(render_rates(name, rates), markup=False)


@app.command("curriculum")
def curriculum(
    model: Path = typer.Option(..., "--model", help="The local model to start from."),
    out: Path = typer.Option(..., "--out", help="Run directory (re-run resumes)."),
    config_file: Path | None = typer.Option(None, "--config", help="A YAML/JSON CurriculumConfig."),
    variant: str | None = typer.Option(None, help="exploit, exploit-with-oversight or honest."),
    train_episodes: int | None = typer.Option(None, help="Episodes sampled per training stage."),
    held_out_episodes: int | None = typer.Option(
        None, help="Held-out (reward-tampering) episodes per model."
    ),
    seed: int | None = typer.Option(None, help="Seed."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Expert iteration through the training stages, every model measured on the held-out tampering stage."""
    from auditgame.config_files import apply_overrides, read_config_file
    from auditgame.envs.curriculum import render_report, run_curriculum
    from auditgame.envs.curriculum_config import CurriculumConfig

    config = CurriculumConfig()
    if config_file is not None:
        config = apply_overrides(config, read_config_file(config_file), source=str(config_file))
    overrides = {
        key: value
        for key, value in {
            "variant": variant,
            "train_episodes": train_episodes,
            "held_out_episodes": held_out_episodes,
            "seed": seed,
        }.items()
        if value is not None
    }
    if overrides:
        config = apply_overrides(config, overrides, source="options")
    report = run_curriculum(model, out, config, log=console.print, show_progress=progress)
    console.print(render_report(report), markup=False)
    console.print(f"wrote {out}/report.md")
