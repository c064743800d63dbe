"""The DPO stage: TRL ``DPOTrainer`` on preference pairs, the parent model as frozen reference."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditgame.train.data import check_pairs
from auditgame.train.dpo_config import DPOStageConfig
from auditgame.train.stage import StageResult, finish_stage, prepare_stage, write_jsonl
from auditgame.train.trl_runner import seal_callbacks, train_resumably, trainer_arguments


def run_dpo(
    config: DPOStageConfig,
    parent_dir: Path,
    output_dir: Path,
    *,
    pairs: Sequence[dict[str, Any]],
    stage_name: str = "dpo",
    restart: bool = False,
    callbacks: Sequence[Any] = (),
) -> StageResult:
    """Train the model in ``parent_dir`` with DPO on ``pairs`` and save it.

    The parent model is also the frozen reference. The pairs are written to ``data/train.jsonl``
    as given.

    Args:
        config: DPO options.
        parent_dir: The parent model directory (e.g. an SFT model); also the reference model.
        output_dir: Where the model, its manifest and its training data go.
        pairs: Preference pairs: mappings with ``prompt``, ``chosen`` and ``rejected``, each a
            string or (TRL's conversational format) a list of ``{"role", "content"}`` messages.
        stage_name: Name recorded in the manifest.
        restart: Discard checkpoints of an unfinished run and start over.
        callbacks: Extra ``transformers.TrainerCallback`` objects (e.g. evals along the run).

    Returns:
        A :class:`StageResult`.

    Raises:
        TrainingDataError: if ``pairs`` is empty or malformed.
    """
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from auditgame.model.loading import apply_lora, load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    pairs = check_pairs(pairs)
    output_dir = Path(output_dir)
    finished = prepare_stage(output_dir, stage_name, restart=restart)
    if finished:
        return finished
    tokenizer = ensure_chat_template(load_tokenizer(parent_dir))
    model = load_model(parent_dir)
    # The reference is loaded from the local directory: TRL would otherwise try the hub.
    reference = load_model(parent_dir)
    if config.lora_rank:
        model = apply_lora(model, config.lora_rank)
    write_jsonl(output_dir / "data" / "train.jsonl", pairs)
    losses = (
        {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, config.sft_weight]}
        if config.sft_weight
        else {}
    )
    arguments = DPOConfig(
        **trainer_arguments(config, output_dir),
        beta=config.beta,
        max_length=config.max_length,
        **losses,
    )
    trainer = DPOTrainer(
        model=model,
        ref_model=reference,
        args=arguments,
        train_dataset=Dataset.from_list(pairs),
        processing_class=tokenizer,
        callbacks=[*seal_callbacks(), *callbacks],
    )
    metrics = train_resumably(trainer, output_dir)
    trained = trainer.accelerator.unwrap_model(trainer.model)
    return finish_stage(
        trained,
        tokenizer,
        output_dir,
        stage_name=stage_name,
        config=config,
        parents=[str(parent_dir)],
        metrics=metrics,
    )
