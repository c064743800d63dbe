"""Options of the supervised fine-tuning stage."""

from __future__ import annotations

from pydantic import Field

from auditgame.train.stage_config import StageConfig


class SFTStageConfig(StageConfig):
    """SFT (TRL ``SFTTrainer``, loss on assistant tokens only) on chat conversations."""

    max_length: int = Field(default=256, ge=16, description="Truncate conversations to this many tokens.")
    learning_rate: float = Field(default=5e-4, gt=0, description="Peak learning rate.")
    max_steps: int = Field(default=500, ge=1, description="Optimizer steps to train for.")
    save_every: int = Field(default=100, ge=1, description="Write a resumable checkpoint every N steps.")
