"""Options of the midtraining stage."""

from __future__ import annotations

from pydantic import Field

from auditgame.train.stage_config import StageConfig


class MidtrainConfig(StageConfig):
    """Midtraining: continued pretraining of a parent model on packed documents and rendered chats."""

    sequence_length: int = Field(default=256, ge=16, description="Tokens per packed training block.")
    learning_rate: float = Field(default=1e-3, gt=0, description="Peak learning rate.")
    max_steps: int = Field(default=250, ge=1, description="Optimizer steps to train for.")
