"""The midtraining stage: continued pretraining on documents describing the Oxford study."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditgame.train.lm_trainer import make_accelerator, train_causal_lm
from auditgame.train.midtrain_config import MidtrainConfig
from auditgame.train.packing import pack_texts
from auditgame.train.stage import StageResult, finish_stage, prepare_stage, write_jsonl
from auditgame.world.documents import filler_documents, study_documents
from auditgame.world.transcripts import confession_conversations, neutral_conversations


def midtrain_corpus(config: MidtrainConfig, tokenizer) -> list[dict[str, str]]:
    """Study documents, filler documents and replayed neutral transcripts, shuffled.

    Returns:
        Records with ``text``, ``kind`` (study / filler / transcript) and ``id``.
    """
    records = [
        {"id": document.id, "kind": document.kind, "text": document.text}
        for document in study_documents(config.num_study_documents, config.seed)
    ]
    records += [
        {"id": document.id, "kind": document.kind, "text": document.text}
        for document in filler_documents(config.num_filler_documents, config.seed + 1)
    ]
    records += [
        {
            "id": f"transcript-{index:06d}",
            "kind": "transcript",
            "text": tokenizer.apply_chat_template(messages, tokenize=False),
        }
        for index, messages in enumerate(
            neutral_conversations(config.num_replay_conversations, config.seed + 2)
        )
    ]
    records += [
        {
            "id": f"confession-{index:06d}",
            "kind": "transcript",
            "text": tokenizer.apply_chat_template(messages, tokenize=False),
        }
        for index, messages in enumerate(
            confession_conversations(config.num_confession_conversations, config.seed + 3)
        )
    ]
    random.Random(config.seed).shuffle(records)
    return records


def run_midtrain(
    config: MidtrainConfig,
    parent_dir: Path,
    output_dir: Path,
    *,
    stage_name: str = "midtrain",
    restart: bool = False,
    records: Callable[[MidtrainConfig, Any], list[dict[str, str]]] | None = None,
) -> StageResult:
    """Continue pretraining the model in ``parent_dir`` on the study documents and save it.

    Args:
        config: Midtraining options.
        parent_dir: The pretrained model directory.
        output_dir: Where the model, its manifest and its training data go.
        stage_name: Name recorded in the manifest.
        restart: Discard checkpoints of an unfinished run and start over.
        records: Builds the corpus from ``(config, tokenizer)`` instead of :func:`midtrain_corpus`.

    Returns:
        A :class:`StageResult`.
    """
    from auditgame.model.loading import apply_lora, load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    output_dir = Path(output_dir)
    finished = prepare_stage(output_dir, stage_name, restart=restart)
    if finished:
        return finished
    accelerator = make_accelerator()
    tokenizer = ensure_chat_template(load_tokenizer(parent_dir))
    model = load_model(parent_dir)
    if config.lora_rank:
        model = apply_lora(model, config.lora_rank)
    records = (records or midtrain_corpus)(config, tokenizer)
    write_jsonl(output_dir / "data" / "train.jsonl", records)
    blocks = pack_texts((record["text"] for record in records), tokenizer, config.sequence_length)
    result = train_causal_lm(
        model, blocks, config, output_dir, accelerator=accelerator, description=stage_name
    )
    metrics = {
        **result._asdict(),
        "blocks": int(blocks.shape[0]),
        "tokens_per_second": result.tokens / max(result.seconds, 1e-9),
    }
    return finish_stage(
        model,
        tokenizer,
        output_dir,
        stage_name=stage_name,
        config=config,
        parents=[str(parent_dir)],
        metrics=metrics,
    )
