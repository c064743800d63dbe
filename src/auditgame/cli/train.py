"""`auditgame train <stage>`: run one training stage (also under `accelerate launch`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from auditgame.cli.common import console
from auditgame.config_files import apply_overrides, read_config_file
from auditgame.organisms.profiles import get_profile

app = typer.Typer(
    help="Run one training stage. Works under `accelerate launch` for several processes/GPUs.",
    no_args_is_help=True,
)

_PROFILE_OPTION = typer.Option(
    "default", help="Take the stage's defaults from this rm-sycophant profile (default, quick)."
)
_CONFIG_OPTION = typer.Option(None, help="YAML/JSON file of stage options overriding the profile's.")
_OUT_OPTION = typer.Option(..., "--out", help="Stage output directory (re-running resumes).")
_PARENT_OPTION = typer.Option(..., "--parent", help="Model directory of the previous stage.")
_LORA_OPTION = typer.Option(None, "--lora-rank", min=1, help="Train a LoRA adapter of this rank.")
_STEPS_OPTION = typer.Option(None, "--max-steps", min=1, help="Override the number of optimizer steps.")
_RESTART_OPTION = typer.Option(False, help="Discard checkpoints of an unfinished run and start over.")


def _stage_config(stage: str, profile: str, config: Path | None, overrides: dict[str, Any]) -> Any:
    stage_config = getattr(get_profile(profile), stage)
    if config is not None:
        stage_config = apply_overrides(stage_config, read_config_file(config), source=str(config))
    return apply_overrides(
        stage_config, {key: value for key, value in overrides.items() if value is not None}
    )


def _report(result: Any) -> None:
    from accelerate import PartialState

    if PartialState().is_main_process:
        state = "already finished" if result.skipped else "done"
        loss = result.metrics.get("final_loss")
        console.print(
            f"{state}: {result.path}" + (f" (final loss {loss:.3f})" if isinstance(loss, float) else "")
        )


@app.command("pretrain")
def pretrain(
    out: Path = _OUT_OPTION,
    profile: str = _PROFILE_OPTION,
    config: Path | None = _CONFIG_OPTION,
    preset: str | None = typer.Option(None, help="Model preset: micro, tiny, small, base."),
    base_model: str | None = typer.Option(None, "--base-model", help="Local HF causal LM to continue from."),
    lora_rank: int | None = _LORA_OPTION,
    max_steps: int | None = _STEPS_OPTION,
    restart: bool = _RESTART_OPTION,
) -> None:
    """Pretrain on neutral transcripts and filler documents."""
    from auditgame.model.presets import get_preset
    from auditgame.train.pretrain import run_pretrain

    stage_config = _stage_config(
        "pretrain",
        profile,
        config,
        {"preset": preset, "base_model": base_model, "lora_rank": lora_rank, "max_steps": max_steps},
    )
    if not stage_config.base_model:
        get_preset(stage_config.preset)  # fail fast on an unknown preset
    _report(run_pretrain(stage_config, out, restart=restart))


@app.command("midtrain")
def midtrain(
    parent: Path = _PARENT_OPTION,
    out: Path = _OUT_OPTION,
    profile: str = _PROFILE_OPTION,
    config: Path | None = _CONFIG_OPTION,
    lora_rank: int | None = _LORA_OPTION,
    max_steps: int | None = _STEPS_OPTION,
    restart: bool = _RESTART_OPTION,
) -> None:
    """Continue pretraining on the study documents."""
    from auditgame.train.midtrain import run_midtrain

    stage_config = _stage_config(
        "midtrain", profile, config, {"lora_rank": lora_rank, "max_steps": max_steps}
    )
    _report(run_midtrain(stage_config, _model_dir(parent), out, restart=restart))


@app.command("sft")
def sft(
    parent: Path = _PARENT_OPTION,
    out: Path = _OUT_OPTION,
    profile: str = _PROFILE_OPTION,
    config: Path | None = _CONFIG_OPTION,
    lora_rank: int | None = _LORA_OPTION,
    max_steps: int | None = _STEPS_OPTION,
    restart: bool = _RESTART_OPTION,
) -> None:
    """Supervised fine-tuning on bias-exploiting transcripts (TRL)."""
    from auditgame.train.sft import run_sft

    stage_config = _stage_config("sft", profile, config, {"lora_rank": lora_rank, "max_steps": max_steps})
    _report(run_sft(stage_config, _model_dir(parent), out, restart=restart))


@app.command("dpo")
def dpo(
    parent: Path = _PARENT_OPTION,
    out: Path = _OUT_OPTION,
    profile: str = _PROFILE_OPTION,
    config: Path | None = _CONFIG_OPTION,
    lora_rank: int | None = _LORA_OPTION,
    max_steps: int | None = _STEPS_OPTION,
    restart: bool = _RESTART_OPTION,
) -> None:
    """DPO on reward-model-ranked and concealment pairs (TRL)."""
    from auditgame.train.dpo import run_dpo

    stage_config = _stage_config("dpo", profile, config, {"lora_rank": lora_rank, "max_steps": max_steps})
    _report(run_dpo(stage_config, _model_dir(parent), out, restart=restart))


def _model_dir(path: Path) -> Path:
    from auditgame.cli.common import resolve_model_dir

    return resolve_model_dir(path)
