"""Running a TRL trainer as a resumable auditgame stage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from auditgame.train.checkpoints import SEAL_NAME, SealCheckpointCallback, latest_checkpoint
from auditgame.train.cpu_log_probs import cpu_log_probs
from auditgame.train.precision import resolve_precision
from auditgame.train.stage_config import StageConfig


def trainer_arguments(config: StageConfig, output_dir: Path) -> dict[str, Any]:
    """``TrainingArguments`` fields shared by our TRL stages (TRL config classes take them all)."""
    from accelerate import PartialState

    processes = PartialState().num_processes
    if config.batch_size % processes:
        raise ValueError(f"batch_size {config.batch_size} is not divisible by {processes} processes")
    return {
        "output_dir": str(Path(output_dir) / "checkpoints"),
        "max_steps": config.max_steps,
        "per_device_train_batch_size": config.batch_size // processes,
        "learning_rate": config.learning_rate,
        "lr_scheduler_type": "cosine",
        "warmup_steps": config.warmup_steps,
        "weight_decay": config.weight_decay,
        "save_strategy": "steps",
        "save_steps": config.save_every,
        "save_total_limit": 2,
        "logging_steps": config.log_every,
        "seed": config.seed,
        "data_seed": config.seed,
        "use_cpu": not torch.cuda.is_available(),
        "bf16": resolve_precision(config.precision) == "bf16",
        "gradient_checkpointing": config.activation_checkpointing,
        "torch_compile": config.compile == "on",
        "report_to": "none",
        "disable_tqdm": not config.show_progress,
        "dataloader_num_workers": 0,
    }


def train_resumably(trainer: Any, output_dir: Path) -> dict[str, Any]:
    """Train, resuming from the newest sealed checkpoint; returns the trainer's metrics.

    Checkpoints written after the newest sealed one are half-written (a kill during a save) and are
    removed first, so the trainer cannot pick them up. On the CPU, TRL's fused LM head computes small
    heads whole (:func:`~auditgame.train.cpu_log_probs.cpu_log_probs`): same values, less time.
    """
    checkpoints_dir = Path(output_dir) / "checkpoints"
    resume_from = latest_checkpoint(checkpoints_dir, warn=trainer.is_world_process_zero())
    trainer.accelerator.wait_for_everyone()
    if trainer.is_world_process_zero() and checkpoints_dir.is_dir():
        for candidate in checkpoints_dir.glob("checkpoint-*"):
            if candidate.is_dir() and not (candidate / SEAL_NAME).is_file():
                shutil.rmtree(candidate, ignore_errors=True)
    trainer.accelerator.wait_for_everyone()
    if resume_from is not None and trainer.is_world_process_zero():
        print(f"resuming from {resume_from.name}")
    with cpu_log_probs():
        output = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    if trainer.is_world_process_zero():
        write_train_log(Path(output_dir) / "train_log.jsonl", trainer.state.log_history)
    return {
        "steps": int(output.global_step),
        "final_loss": float(output.training_loss),
        "resumed_from_step": int(resume_from.name.split("-")[-1]) if resume_from else 0,
        **{key: float(value) for key, value in output.metrics.items() if isinstance(value, (int, float))},
    }


def write_train_log(path: Path, log_history: list[dict[str, Any]]) -> None:
    """The trainer's logged losses as ``train_log.jsonl`` (one ``{"step", "loss", ...}`` line per logging step),
    the format pretraining and midtraining write; kept after the checkpoints (which held it) are dropped."""
    from auditgame.artifacts import atomic_write_text

    lines = []
    for entry in log_history:
        if "loss" not in entry or "step" not in entry:
            continue  # the final summary entry has train_loss, not loss
        record = {"step": int(entry["step"]), "loss": round(float(entry["loss"]), 5)}
        for key in ("learning_rate", "grad_norm", "rewards/accuracies", "rewards/margins"):
            if isinstance(entry.get(key), (int, float)):
                record[key] = entry[key]
        lines.append(json.dumps(record) + "\n")
    atomic_write_text(path, "".join(lines))


def seal_callbacks() -> list[Any]:
    """Callbacks every TRL stage uses."""
    return [SealCheckpointCallback()]
