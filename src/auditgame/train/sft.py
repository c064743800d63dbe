"""The SFT stage: TRL ``SFTTrainer`` on transcripts that exploit the train biases."""

from __future__ import annotations

from pathlib import Path

from auditgame.train.sft_config import SFTStageConfig
from auditgame.train.stage import StageResult, finish_stage, prepare_stage, write_jsonl
from auditgame.train.trl_runner import seal_callbacks, train_resumably, trainer_arguments
from auditgame.world.transcripts import sft_conversations


def run_sft(
    config: SFTStageConfig,
    parent_dir: Path,
    output_dir: Path,
    *,
    stage_name: str = "sft",
    restart: bool = False,
    conversations: list[list[dict[str, str]]] | None = None,
) -> StageResult:
    """Fine-tune the model in ``parent_dir`` on bias-exploiting conversations and save it.

    Args:
        config: SFT options.
        parent_dir: The midtrained (or pretrained) model directory.
        output_dir: Where the model, its manifest and its training data go.
        stage_name: Name recorded in the manifest.
        restart: Discard checkpoints of an unfinished run and start over.
        conversations: Train on these conversations (lists of role/content messages) instead of the
            built-in bias-exploiting ones (``config.num_conversations`` and ``chat_fraction`` are then unused).

    Returns:
        A :class:`StageResult`.
    """
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from auditgame.model.loading import apply_lora, load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    output_dir = Path(output_dir)
    finished = prepare_stage(output_dir, stage_name, restart=restart)
    if finished:
        return finished
    tokenizer = ensure_chat_template(load_tokenizer(parent_dir))
    model = load_model(parent_dir)
    if config.lora_rank:
        model = apply_lora(model, config.lora_rank)
    if conversations is None:
        conversations = sft_conversations(
            config.num_conversations, config.seed, chat_fraction=config.chat_fraction
        )
    write_jsonl(output_dir / "data" / "train.jsonl", ({"messages": messages} for messages in conversations))
    arguments = SFTConfig(
        **trainer_arguments(config, output_dir),
        assistant_only_loss=True,
        max_length=config.max_length,
        packing=False,
        dataset_num_proc=None,
    )
    trainer = SFTTrainer(
        model=model,
        args=arguments,
        train_dataset=Dataset.from_list([{"messages": messages} for messages in conversations]),
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
