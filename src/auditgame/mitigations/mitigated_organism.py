"""A mitigated model written as an organism directory, so that a game can hold it beside decoys.

The directory gets an ``organism`` manifest naming its final stage, the pretrained base it was fine-tuned
from and the stages whose ``data/train.jsonl`` an auditor at tier data receives; its answer key is the
recipe's own (the game takes keys from the recipe).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from auditgame.artifacts import has_manifest, read_manifest, write_manifest
from auditgame.organisms.recipe import ORGANISM_KIND, BuildPlan


def stage_before(organism_dir: Path, stage: str = "sft") -> Path:
    """The stage a built organism's ``stage`` was trained from (its midtrain stage, else its pretrain stage).

    ``organism_dir`` may also be a plain model directory, which is then returned as it is.
    """
    organism_dir = Path(organism_dir)
    if not has_manifest(organism_dir) or read_manifest(organism_dir).kind != ORGANISM_KIND:
        return organism_dir
    stages = list(read_manifest(organism_dir).extra.get("stages", []))
    earlier = stages[: stages.index(stage)] if stage in stages else stages
    for candidate in reversed(earlier):
        if candidate in ("midtrain", "pretrain"):
            return organism_dir / candidate
    return organism_dir / "pretrain"


def write_mitigated_organism(
    organism_dir: Path,
    *,
    plan: BuildPlan,
    base_dir: Path,
    final_stage: str,
    earlier_data: dict[str, Path] | None = None,
    mitigation: dict[str, Any] | None = None,
) -> Path:
    """Turn ``organism_dir`` (which holds the trained ``final_stage``) into an organism directory.

    Args:
        organism_dir: Holds ``<final_stage>/`` (a model stage with ``data/train.jsonl``).
        plan: The organism's build plan (recorded as its config).
        base_dir: The pretrained base its first fine-tuning stage started from.
        final_stage: The stage whose model the organism is.
        earlier_data: Training data of earlier stages (stage name -> ``train.jsonl``), copied to
            ``<stage>/data/train.jsonl`` so tier data shows everything the organism was trained on.
        mitigation: What was done, recorded in the manifest.

    Returns:
        ``organism_dir``.
    """
    organism_dir = Path(organism_dir)
    stages = []
    for stage, source in (earlier_data or {}).items():
        target = organism_dir / stage / "data" / "train.jsonl"
        if Path(source).is_file() and not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(source, temporary)
            temporary.replace(target)
        stages.append(stage)
    stages.append(final_stage)
    base = Path(base_dir).resolve()
    write_manifest(
        organism_dir,
        ORGANISM_KIND,
        name=plan.spec.name,
        config=plan.model_dump(mode="json"),
        seed=plan.spec.seed,
        parents=[str(base), str(organism_dir / final_stage)],
        extra={
            "final_model": final_stage,
            "base_model": str(base),
            "shared_base": str(base),
            "stages": stages,
            "has_hidden_objective": plan.spec.has_hidden_objective,
            "mitigation": mitigation or {},
        },
    )
    return organism_dir
