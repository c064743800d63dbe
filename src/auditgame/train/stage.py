"""What every stage runner shares: claiming the output directory, skipping finished stages,
loading the parent model, saving data, and writing the final model with its manifest."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from accelerate import PartialState
from pydantic import BaseModel

from auditgame.artifacts import (
    atomic_write_text,
    claim_output_directory,
    has_manifest,
    read_manifest,
    write_manifest,
)

MODEL_KIND = "model"


class StageResult(NamedTuple):
    """Where a stage's model is, and what its run measured."""

    path: Path
    """The stage's model directory (a Hugging Face ``save_pretrained`` directory with a manifest)."""
    skipped: bool
    """True if the stage had already finished and was not re-run."""
    metrics: dict[str, Any]
    """Training metrics (steps, tokens, seconds, loss, ...)."""


def prepare_stage(output_dir: Path, stage_name: str, *, restart: bool = False) -> StageResult | None:
    """Claim ``output_dir`` for ``stage_name``; return the finished result if the stage is already done.

    Args:
        output_dir: The stage's directory.
        stage_name: E.g. ``"my-organism/sft"``: refuses a directory holding another artifact.
        restart: Discard checkpoints of an unfinished run of the same stage and start over.

    Raises:
        ArtifactConflictError: if the directory holds a different artifact.
    """
    output_dir = Path(output_dir)
    state = PartialState()
    if state.is_main_process:
        claim_output_directory(output_dir, MODEL_KIND, stage_name)
        if restart and not has_manifest(output_dir):
            shutil.rmtree(output_dir / "checkpoints", ignore_errors=True)
            (output_dir / "train_log.jsonl").unlink(missing_ok=True)
    state.wait_for_everyone()
    if has_manifest(output_dir):
        manifest = read_manifest(output_dir)
        return StageResult(output_dir, True, manifest.extra.get("metrics", {}))
    return None


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write ``records`` as JSON lines to ``path`` atomically (main process only). Returns the count."""
    if not PartialState().is_main_process:
        return 0
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    atomic_write_text(Path(path), "\n".join(lines) + ("\n" if lines else ""))
    return len(lines)


def _precision_record(config: BaseModel) -> dict[str, str]:
    """``{"precision": what ran}`` for stage configs with a ``precision`` option ("auto" resolved here)."""
    from auditgame.train.precision import resolve_precision

    precision = getattr(config, "precision", None)
    return {"precision": resolve_precision(precision)} if precision is not None else {}


def finish_stage(
    model: Any,
    tokenizer: Any,
    output_dir: Path,
    *,
    stage_name: str,
    config: BaseModel,
    parents: list[str],
    metrics: dict[str, Any],
) -> StageResult:
    """Save the trained model and tokenizer, write the manifest last, and drop the checkpoints."""
    from auditgame.model.loading import save_model

    output_dir = Path(output_dir)
    state = PartialState()
    if state.is_main_process:
        save_model(model, tokenizer, output_dir)
        write_manifest(
            output_dir,
            MODEL_KIND,
            name=stage_name,
            config=config.model_dump(mode="json"),
            seed=getattr(config, "seed", None),
            parents=parents,
            extra={"metrics": metrics, **_precision_record(config)},
        )
        shutil.rmtree(output_dir / "checkpoints", ignore_errors=True)
    state.wait_for_everyone()
    return StageResult(output_dir, False, metrics)
