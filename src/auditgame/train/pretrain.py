"""The pretraining stage: a tokenizer trained on the given texts, then a packed causal LM on them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from accelerate import PartialState

from auditgame.train.data import check_texts
from auditgame.train.lm_trainer import make_accelerator, train_causal_lm
from auditgame.train.packing import pack_texts
from auditgame.train.pretrain_config import PretrainConfig
from auditgame.train.stage import StageResult, finish_stage, prepare_stage, write_jsonl

TOKENIZER_SUBDIR = Path("checkpoints") / "tokenizer"
"""Where, under the stage's directory, the trained tokenizer waits until the model is saved."""


def load_or_train_tokenizer(config: PretrainConfig, output_dir: Path, tokenizer_texts: Sequence[str]):
    """Return the stage's tokenizer: the base model's, or one trained on ``tokenizer_texts``.

    With ``config.base_model`` set, its tokenizer is loaded (and given a chat template if it lacks
    one) and ``tokenizer_texts`` is unused. Otherwise a tokenizer of ``config.vocab_size`` is trained
    on the main process, saved under ``output_dir/checkpoints/tokenizer`` and loaded from there by
    every process; once saved it is reused, so a resumed run keeps the same vocabulary.

    Args:
        config: Pretraining options (``base_model``, ``vocab_size``).
        output_dir: The stage's directory.
        tokenizer_texts: Texts to train the tokenizer on.

    Returns:
        A Hugging Face tokenizer with a chat template.
    """
    from auditgame.model.loading import load_tokenizer
    from auditgame.model.tokenizer import ensure_chat_template, train_tokenizer

    if config.base_model:
        from auditgame.model.pretrained import resolve_base_model

        return ensure_chat_template(load_tokenizer(resolve_base_model(config.base_model)))
    tokenizer_dir = Path(output_dir) / TOKENIZER_SUBDIR
    state = PartialState()
    if state.is_main_process and not (tokenizer_dir / "tokenizer.json").is_file():
        tokenizer = train_tokenizer(tokenizer_texts, config.vocab_size)
        tokenizer.save_pretrained(tokenizer_dir)
    state.wait_for_everyone()
    return load_tokenizer(tokenizer_dir)


def run_pretrain(
    config: PretrainConfig,
    output_dir: Path,
    *,
    texts: Sequence[str],
    tokenizer_texts: Sequence[str] | None = None,
    stage_name: str = "pretrain",
    restart: bool = False,
) -> StageResult:
    """Pretrain a model on ``texts`` (fresh from a preset, or continuing ``config.base_model``) and save it.

    A fresh model gets a tokenizer trained on ``tokenizer_texts`` first. Resumes from the newest
    checkpoint in ``output_dir`` after an interruption (keeping the tokenizer it trained); returns
    at once if the stage already finished. The texts are written to ``data/train.jsonl`` as
    ``{"text": ...}`` records.

    Args:
        config: Pretraining options.
        output_dir: Where the model, its manifest and its training data go.
        texts: The training corpus: documents and chat transcripts already rendered as text.
        tokenizer_texts: Texts to train the tokenizer on (default: ``texts``). Unused with
            ``config.base_model``.
        stage_name: Name recorded in the manifest (e.g. ``"base-<hash>"``).
        restart: Discard checkpoints of an unfinished run and start over.

    Returns:
        A :class:`StageResult`.

    Raises:
        TrainingDataError: if ``texts`` is empty, holds a non-string, or is shorter than one block.
    """
    from auditgame.model.loading import apply_lora, load_model
    from auditgame.model.presets import build_model, get_preset

    texts = check_texts(texts)
    if tokenizer_texts is None:
        tokenizer_texts = texts
    elif not config.base_model:
        tokenizer_texts = check_texts(tokenizer_texts, "tokenizer_texts")
    output_dir = Path(output_dir)
    finished = prepare_stage(output_dir, stage_name, restart=restart)
    if finished:
        return finished
    accelerator = make_accelerator()
    tokenizer = load_or_train_tokenizer(config, output_dir, tokenizer_texts)
    base_model = None
    if config.base_model:
        from auditgame.model.pretrained import resolve_base_model

        base_model = resolve_base_model(config.base_model)
        model = load_model(base_model)
    else:
        model = build_model(get_preset(config.preset), tokenizer, seed=config.seed)
    if config.lora_rank:
        model = apply_lora(model, config.lora_rank)
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
    parents = [base_model] if base_model else []
    return finish_stage(
        model, tokenizer, output_dir, stage_name=stage_name, config=config, parents=parents, metrics=metrics
    )
