"""The midtraining stage: continued pretraining of a parent model on packed documents and chats."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditgame.train.data import RECORD_KEYS, check_records
from auditgame.train.lm_trainer import make_accelerator, train_causal_lm
from auditgame.train.midtrain_config import MidtrainConfig
from auditgame.train.packing import pack_texts
from auditgame.train.stage import StageResult, finish_stage, prepare_stage, write_jsonl


def render_records(records: Sequence[dict[str, Any]], tokenizer: Any) -> list[dict[str, Any]]:
    """Turn midtraining records into ``text`` records.

    A record's ``messages`` (a chat conversation) are rendered with the tokenizer's chat template;
    a ``text`` is kept as it is. Optional ``id`` and ``kind`` are kept; other keys are dropped.

    Args:
        records: Mappings with ``text`` or ``messages``, and optionally ``id`` and ``kind``.
        tokenizer: A tokenizer with a chat template.

    Returns:
        ``{"id"?, "kind"?, "text"}`` records, in the given order.
    """
    rendered = []
    for record in records:
        if "text" in record:
            text = record["text"]
        else:
            text = tokenizer.apply_chat_template(record["messages"], tokenize=False)
        rendered.append({**{key: record[key] for key in RECORD_KEYS if key in record}, "text": text})
    return rendered


def run_midtrain(
    config: MidtrainConfig,
    parent_dir: Path,
    output_dir: Path,
    *,
    records: Sequence[dict[str, Any]],
    stage_name: str = "midtrain",
    restart: bool = False,
) -> StageResult:
    """Continue pretraining the model in ``parent_dir`` on ``records`` and save it.

    The records (see :func:`render_records`) are written to ``data/train.jsonl`` as text records,
    then packed into blocks in the given order; batches sample blocks at random.

    Args:
        config: Midtraining options.
        parent_dir: The parent model directory (e.g. a pretrained base).
        output_dir: Where the model, its manifest and its training data go.
        records: Mappings with ``text`` (a document) or ``messages`` (a chat conversation, rendered
            with the parent tokenizer's chat template), plus optional ``id`` and ``kind``.
        stage_name: Name recorded in the manifest.
        restart: Discard checkpoints of an unfinished run and start over.

    Returns:
        A :class:`StageResult`.

    Raises:
        TrainingDataError: if ``records`` is empty or malformed, or shorter than one block.
    """
    from auditgame.model.loading import apply_lora, load_model, load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template

    records = check_records(records)
    output_dir = Path(output_dir)
    finished = prepare_stage(output_dir, stage_name, restart=restart)
    if finished:
        return finished
    accelerator = make_accelerator()
    tokenizer = ensure_chat_template(load_tokenizer(parent_dir))
    model = load_model(parent_dir)
    if config.lora_rank:
        model = apply_lora(model, config.lora_rank)
    rendered = render_records(records, tokenizer)
    write_jsonl(output_dir / "data" / "train.jsonl", rendered)
    blocks = pack_texts((record["text"] for record in rendered), tokenizer, config.sequence_length)
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
