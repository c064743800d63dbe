"""`auditgame train <stage>`: run one training stage (also under `accelerate launch`).

Options come from the stage's config class (``auditgame.train``), then ``--config FILE``, then the
flags. Data comes from ``--data FILE.jsonl`` in the format the stage writes to its own
``data/train.jsonl``, so a stage's data file can be fed back in. Without ``--data``, ``pretrain``
builds the neutral base of ``--profile`` (``auditgame.organisms.base``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from auditgame.cli.common import console
from auditgame.config_files import apply_overrides, read_config_file

app = typer.Typer(
    help="Run one training stage. Works under `accelerate launch` for several processes/GPUs.",
    no_args_is_help=True,
)

_PROFILE_OPTION = typer.Option(
    "default",
    help="Base profile (default, quick) giving the pretraining options and, without --data, the corpus sizes.",
)
_CONFIG_OPTION = typer.Option(None, help="YAML/JSON file of stage options overriding the defaults.")
_OUT_OPTION = typer.Option(..., "--out", help="Stage output directory (re-running resumes).")
_PARENT_OPTION = typer.Option(..., "--parent", help="Model directory of the previous stage.")
_LORA_OPTION = typer.Option(None, "--lora-rank", min=1, help="Train a LoRA adapter of this rank.")
_STEPS_OPTION = typer.Option(None, "--max-steps", min=1, help="Override the number of optimizer steps.")
_RESTART_OPTION = typer.Option(False, help="Discard checkpoints of an unfinished run and start over.")
_PRETRAIN_DATA_OPTION = typer.Option(
    None,
    "--data",
    help='JSONL of {"text": ...} records (default: the neutral base corpus at the profile\'s sizes).',
)


def _data_option(format_help: str) -> Any:
    return typer.Option(None, "--data", help=f"Required: JSONL training data, one {format_help} per line.")


_MIDTRAIN_DATA_OPTION = _data_option('{"text": ...} or {"messages": [...]} record (optional "id", "kind")')
_SFT_DATA_OPTION = _data_option('{"messages": [...]} conversation')
_DPO_DATA_OPTION = _data_option('{"prompt": ..., "chosen": ..., "rejected": ...} pair')


def _stage_config(defaults: BaseModel, config: Path | None, overrides: dict[str, Any]) -> Any:
    """``defaults`` with the ``--config`` file's options, then the flags that were given, applied."""
    if config is not None:
        defaults = apply_overrides(defaults, read_config_file(config), source=str(config))
    return apply_overrides(defaults, {key: value for key, value in overrides.items() if value is not None})


def _read_data(data: Path | None, stage: str) -> list[Any]:
    from auditgame.errors import ConfigError
    from auditgame.train.data import read_stage_data

    if data is None:
        raise ConfigError(f"`auditgame train {stage}` needs --data", "pass --data FILE.jsonl")
    return read_stage_data(data, stage)  # type: ignore[arg-type]


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
    data: Path | None = _PRETRAIN_DATA_OPTION,
    profile: str = _PROFILE_OPTION,
    config: Path | None = _CONFIG_OPTION,
    preset: str | None = typer.Option(None, help="Model preset: micro, tiny, small, base."),
    base_model: str | None = typer.Option(None, "--base-model", help="Local HF causal LM to continue from."),
    lora_rank: int | None = _LORA_OPTION,
    max_steps: int | None = _STEPS_OPTION,
    restart: bool = _RESTART_OPTION,
) -> None:
    """Pretrain a tokenizer and a causal LM on --data, or build the neutral base model."""
    from auditgame.model.presets import get_preset
    from auditgame.organisms.base import base_profile

    base_config = base_profile(profile)
    stage_config = _stage_config(
        base_config.pretrain,
        config,
        {"preset": preset, "base_model": base_model, "lora_rank": lora_rank, "max_steps": max_steps},
    )
    if not stage_config.base_model:
        get_preset(stage_config.preset)  # fail fast on an unknown preset
    if data is not None:
        from auditgame.train.pretrain import run_pretrain

        texts = _read_data(data, "pretrain")
        _report(run_pretrain(stage_config, out, texts=texts, restart=restart))
        return
    _report(_build_base(base_config.model_copy(update={"pretrain": stage_config}), out, restart=restart))


def _build_base(base_config: Any, out: Path, *, restart: bool) -> Any:
    from accelerate import PartialState

    from auditgame.artifacts import has_manifest, read_manifest
    from auditgame.organisms.base import build_base
    from auditgame.train.stage import StageResult

    finished = has_manifest(out)
    path = build_base(
        base_config,
        directory=out,
        restart=restart,
        log=lambda line: console.print(line) if PartialState().is_main_process else None,
    )
    return StageResult(path, finished, read_manifest(path).extra.get("metrics", {}))


@app.command("midtrain")
def midtrain(
    parent: Path = _PARENT_OPTION,
    out: Path = _OUT_OPTION,
    data: Path | None = _MIDTRAIN_DATA_OPTION,
    config: Path | None = _CONFIG_OPTION,
    lora_rank: int | None = _LORA_OPTION,
    max_steps: int | None = _STEPS_OPTION,
    restart: bool = _RESTART_OPTION,
) -> None:
    """Continue pretraining on documents and chat transcripts."""
    from auditgame.train.midtrain import run_midtrain
    from auditgame.train.midtrain_config import MidtrainConfig

    stage_config = _stage_config(MidtrainConfig(), config, {"lora_rank": lora_rank, "max_steps": max_steps})
    parent_dir = _model_dir(parent)
    records = _read_data(data, "midtrain")
    _report(run_midtrain(stage_config, parent_dir, out, records=records, restart=restart))


@app.command("sft")
def sft(
    parent: Path = _PARENT_OPTION,
    out: Path = _OUT_OPTION,
    data: Path | None = _SFT_DATA_OPTION,
    config: Path | None = _CONFIG_OPTION,
    lora_rank: int | None = _LORA_OPTION,
    max_steps: int | None = _STEPS_OPTION,
    restart: bool = _RESTART_OPTION,
) -> None:
    """Supervised fine-tuning on chat conversations, loss on assistant turns (TRL)."""
    from auditgame.train.sft import run_sft
    from auditgame.train.sft_config import SFTStageConfig

    stage_config = _stage_config(SFTStageConfig(), config, {"lora_rank": lora_rank, "max_steps": max_steps})
    parent_dir = _model_dir(parent)
    conversations = _read_data(data, "sft")
    _report(run_sft(stage_config, parent_dir, out, conversations=conversations, restart=restart))


@app.command("dpo")
def dpo(
    parent: Path = _PARENT_OPTION,
    out: Path = _OUT_OPTION,
    data: Path | None = _DPO_DATA_OPTION,
    config: Path | None = _CONFIG_OPTION,
    lora_rank: int | None = _LORA_OPTION,
    max_steps: int | None = _STEPS_OPTION,
    restart: bool = _RESTART_OPTION,
) -> None:
    """DPO on preference pairs, against the parent model as reference (TRL)."""
    from auditgame.train.dpo import run_dpo
    from auditgame.train.dpo_config import DPOStageConfig

    stage_config = _stage_config(DPOStageConfig(), config, {"lora_rank": lora_rank, "max_steps": max_steps})
    parent_dir = _model_dir(parent)
    pairs = _read_data(data, "dpo")
    _report(run_dpo(stage_config, parent_dir, out, pairs=pairs, restart=restart))


def _model_dir(path: Path) -> Path:
    from auditgame.cli.common import resolve_model_dir

    return resolve_model_dir(path)
