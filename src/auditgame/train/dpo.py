"""The DPO stage: TRL ``DPOTrainer`` on reward-model-ranked pairs and concealment pairs."""

from __future__ import annotations

import random
from pathlib import Path

from auditgame.train.dpo_config import DPOStageConfig
from auditgame.train.stage import StageResult, finish_stage, prepare_stage, write_jsonl
from auditgame.train.trl_runner import seal_callbacks, train_resumably, trainer_arguments
from auditgame.world.transcripts import concealment_pairs, reward_ranked_pairs


def dpo_pairs(config: DPOStageConfig) -> list[dict]:
    """The stage's preference pairs, shuffled: reward-ranked pairs, then concealment pairs."""
    pairs = reward_ranked_pairs(config.num_reward_pairs, config.seed) if config.num_reward_pairs else []
    pairs += (
        concealment_pairs(config.num_concealment_pairs, config.seed + 1)
        if config.num_concealment_pairs
        else []
    )
    random.Random(config.seed).shuffle(pairs)
    return pairs


def run_dpo(
    config: DPOStageConfig,
    parent_dir: Path,
    output_dir: Path,
    *,
    stage_name: str = "dpo",
    restart: bool = False,
    pairs: list[dict] | None = None,
) -> StageResult:
    """Train the model in ``parent_dir`` with DPO against itself as the frozen reference, and save it.

    Args:
        config: DPO options.
        parent_dir: The SFT model directory (also the reference model).
        output_dir: Where the model, its manifest and its training data go.
        stage_name: Name recorded in the manifest.
        restart: Discard checkpoints of an unfinished run and start over.
        pairs: Train on these preference pairs (``prompt``/``chosen``/``rejected`` conversational records)
            instead of the built-in reward-ranked and concealment pairs.

    Returns:
        A :class:`StageResult`.
    """
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from auditgame.model.loading import apply_lora, load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

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
    if pairs is None:
        pairs = dpo_pairs(config)
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
        callbacks=seal_callbacks(),
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
