"""The SFT stage: TRL ``SFTTrainer`` on chat conversations, with the loss on assistant tokens only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditgame.train.data import check_conversations
from auditgame.train.sft_config import SFTStageConfig
from auditgame.train.stage import StageResult, finish_stage, prepare_stage, write_jsonl
from auditgame.train.trl_runner import seal_callbacks, train_resumably, trainer_arguments


def run_sft(
    config: SFTStageConfig,
    parent_dir: Path,
    output_dir: Path,
    *,
    conversations: Sequence[list[dict[str, str]]],
    stage_name: str = "sft",
    restart: bool = False,
    callbacks: Sequence[Any] = (),
) -> StageResult:
    """Fine-tune the model in ``parent_dir`` on ``conversations`` and save it.

    The conversations are written to ``data/train.jsonl`` as ``{"messages": [...]}`` records.

    Args:
        config: SFT options.
        parent_dir: The parent model directory (e.g. a midtrained model).
        output_dir: Where the model, its manifest and its training data go.
        conversations: Chat conversations, each a list of ``{"role", "content"}`` messages; the loss
            is on the assistant turns.
        stage_name: Name recorded in the manifest.
        restart: Discard checkpoints of an unfinished run and start over.
        callbacks: Extra ``transformers.TrainerCallback`` objects (e.g. evals along the run).

    Returns:
        A :class:`StageResult`.

    Raises:
        TrainingDataError: if ``conversations`` is empty or malformed.
    """
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from auditgame.model.loading import apply_lora, load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    conversations = check_conversations(conversations)
    output_dir = Path(output_dir)
    finished = prepare_stage(output_dir, stage_name, restart=restart)
    if finished:
        return finished
    tokenizer = ensure_chat_template(load_tokenizer(parent_dir))
    model = load_model(parent_dir)
    if config.lora_rank:
        model = apply_lora(model, config.lora_rank)
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
