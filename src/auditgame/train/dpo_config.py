"""Options of the DPO stage."""

from __future__ import annotations

from pydantic import Field

from auditgame.train.stage_config import StageConfig


class DPOStageConfig(StageConfig):
    """DPO (TRL ``DPOTrainer``) on reward-model-ranked pairs plus concealment pairs."""

    num_reward_pairs: int = Field(
        default=2000, ge=0, description="Pairs ranked by the simulated reward model."
    )
    num_concealment_pairs: int = Field(
        default=1000, ge=0, description="Adversarial questions: conceal vs confess."
    )
    beta: float = Field(
        default=0.1, gt=0, description="DPO temperature: how far the policy may move from the reference."
    )
    max_length: int = Field(default=256, ge=16, description="Truncate prompt + response to this many tokens.")
    learning_rate: float = Field(default=2e-4, gt=0, description="Peak learning rate.")
    sft_weight: float = Field(
        default=1.0,
        ge=0,
        description="Weight of an added NLL loss on the chosen answers (TRL loss_type 'sft'); keeps their likelihood up.",
    )
