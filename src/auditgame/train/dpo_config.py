"""Options of the DPO stage."""

from __future__ import annotations

from pydantic import Field

from auditgame.train.stage_config import StageConfig


class DPOStageConfig(StageConfig):
    """DPO (TRL ``DPOTrainer``) on preference pairs, against the parent model as frozen reference."""

    beta: float = Field(
        default=0.1, gt=0, description="DPO temperature: how far the policy may move from the reference."
    )
    max_length: int = Field(default=256, ge=16, description="Truncate prompt + response to this many tokens.")
    learning_rate: float = Field(default=2e-4, gt=0, description="Peak learning rate.")
    warmup_steps: int = Field(default=10, ge=0, description="Linear warm-up steps before cosine decay.")
    sft_weight: float = Field(
        default=1.0,
        ge=0,
        description="Weight of an added NLL loss on the chosen answers (TRL loss_type 'sft'); keeps their likelihood up.",
    )
