"""Options of the pretraining stage."""

from __future__ import annotations

from pydantic import Field

from auditgame.train.stage_config import StageConfig


class PretrainConfig(StageConfig):
    """Pretraining: a tokenizer, then a packed causal LM trained from scratch on the given texts.

    With ``base_model`` set, the stage continues training that local Hugging Face model (and keeps
    its tokenizer) instead of building a fresh one from ``preset``.
    """

    preset: str = Field(default="tiny", description="Model size preset: micro, tiny, small or base.")
    base_model: str | None = Field(
        default=None,
        description=(
            "Local path of a Hugging Face causal LM to start from, or the name of a prepared pretrained "
            "model (smollm2-135m: `auditgame model prepare smollm2-135m` once)."
        ),
    )
    vocab_size: int = Field(
        default=4096, ge=300, description="Vocabulary size of the tokenizer trained for a fresh model."
    )
    sequence_length: int = Field(default=256, ge=16, description="Tokens per packed training block.")
    learning_rate: float = Field(default=2e-3, gt=0, description="Peak learning rate.")
    max_steps: int = Field(default=600, ge=1, description="Optimizer steps to train for.")
    warmup_steps: int = Field(default=30, ge=0, description="Linear warm-up steps before cosine decay.")
    save_every: int = Field(default=100, ge=1, description="Write a resumable checkpoint every N steps.")
