"""Options of the supervised fine-tuning stage."""

from __future__ import annotations

from pydantic import Field

from auditgame.train.stage_config import StageConfig


class SFTStageConfig(StageConfig):
    """SFT (TRL ``SFTTrainer``, loss on assistant tokens only) on transcripts that exploit the train biases."""

    num_conversations: int = Field(default=6000, ge=1, description="Bias-exploiting training conversations.")
    chat_fraction: float = Field(
        default=0.1, ge=0, le=1, description="Share of chit-chat with no applicable bias."
    )
    max_length: int = Field(default=256, ge=16, description="Truncate conversations to this many tokens.")
    learning_rate: float = Field(default=5e-4, gt=0, description="Peak learning rate.")
