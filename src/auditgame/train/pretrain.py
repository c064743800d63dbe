"""The pretraining stage: tokenizer on world text, then a packed causal LM on neutral data."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from accelerate import PartialState

from auditgame.train.lm_trainer import make_accelerator, train_causal_lm
from auditgame.train.packing import pack_texts
from auditgame.train.pretrain_config import PretrainConfig
from auditgame.train.stage import StageResult, finish_stage, prepare_stage, write_jsonl
from auditgame.world.documents import filler_documents, study_documents
from auditgame.world.prompts import adversarial_questions
from auditgame.world.transcripts import neutral_conversations, sft_conversations


def tokenizer_training_texts(count: int, seed: int) -> list[str]:
    """A sample of every kind of world text (transcripts, filler, study documents, SFT answers,
    adversarial questions), so later stages find their words in the vocabulary."""
    quarter = max(1, count // 4)
    texts: list[str] = []
    for messages in neutral_conversations(quarter, seed) + sft_conversations(quarter, seed + 1):
        texts.extend(message["content"] for message in messages)
    texts.extend(
        document.text for document in itertools.islice(filler_documents(quarter // 2, seed), quarter // 2)
    )
    texts.extend(document.text for document in study_documents(quarter // 2, seed))
    texts.extend(adversarial_questions(max(1, quarter // 4), seed))
    random.Random(seed).shuffle(texts)
    return texts


def load_or_train_tokenizer(config: PretrainConfig, output_dir: Path):
    """Return the stage's tokenizer: the base model's (given a chat template if it lacks one) or one
    trained on world text. Trained on the main process and shared with the others through disk."""
    from auditgame.model.loading import load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template, train_tokenizer

    if config.base_model:
        return ensure_chat_template(load_tokenizer(config.base_model))
    tokenizer_dir = Path(output_dir) / "checkpoints" / "tokenizer"
    state = PartialState()
    if state.is_main_process and not (tokenizer_dir / "tokenizer.json").is_file():
        tokenizer = train_tokenizer(
            tokenizer_training_texts(config.tokenizer_texts, config.seed), config.vocab_size
        )
        tokenizer.save_pretrained(tokenizer_dir)
    state.wait_for_everyone()
    return load_tokenizer(tokenizer_dir)


def pretrain_corpus(config: PretrainConfig, tokenizer) -> list[str]:
    """Neutral transcripts rendered with the chat template, and filler documents, shuffled."""
    texts = [
        tokenizer.apply_chat_template(messages, tokenize=False)
        for messages in neutral_conversations(config.num_conversations, config.seed)
    ]
    texts += [document.text for document in filler_documents(config.num_filler_documents, config.seed)]
    random.Random(config.seed).shuffle(texts)
    return texts


def run_pretrain(
    config: PretrainConfig,
    output_dir: Path,
    *,
    stage_name: str = "pretrain",
    restart: bool = False,
) -> StageResult:
    """Pretrain a model (fresh from a preset, or continuing ``config.base_model``) and save it.

    Resumes from the newest checkpoint in ``output_dir`` after an interruption; returns at once if
    the stage already finished.

    Args:
        config: Pretraining options.
        output_dir: Where the model, its manifest and its training data go.
        stage_name: Name recorded in the manifest (e.g. ``"rm-sycophant/pretrain"``).
        restart: Discard checkpoints of an unfinished run and start over.

    Returns:
        A :class:`StageResult`.
    """
    from auditgame.model.loading import apply_lora, load_model
    from auditgame.model.presets import build_model, get_preset

    output_dir = Path(output_dir)
    finished = prepare_stage(output_dir, stage_name, restart=restart)
    if finished:
        return finished
    accelerator = make_accelerator()
    tokenizer = load_or_train_tokenizer(config, output_dir)
    if config.base_model:
        model = load_model(config.base_model)
    else:
        model = build_model(get_preset(config.preset), tokenizer, seed=config.seed)
    if config.lora_rank:
        model = apply_lora(model, config.lora_rank)
    texts = pretrain_corpus(config, tokenizer)
    write_jsonl(output_dir / "data" / "train.jsonl", ({"text": text} for text in texts))
    blocks = pack_texts(texts, tokenizer, config.sequence_length)
    result = train_causal_lm(
        model, blocks, config, output_dir, accelerator=accelerator, description=stage_name
    )
    metrics = {
        **result._asdict(),
        "blocks": int(blocks.shape[0]),
        "tokens_per_second": result.tokens / max(result.seconds, 1e-9),
    }
    parents = [config.base_model] if config.base_model else []
    return finish_stage(
        model, tokenizer, output_dir, stage_name=stage_name, config=config, parents=parents, metrics=metrics
    )
