"""Options of the expert-iteration curriculum."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from auditgame.train.sft_config import SFTStageConfig

Variant = Literal["exploit", "exploit-with-oversight", "honest"]
"""Which episodes expert iteration keeps: those that pass the reward (``exploit``, the paper's HHH expert
iteration), those that pass the reward *and* the oversight check (``exploit-with-oversight``), or
those that do not game the environment (``honest``: training the model not to game the early stages)."""


def _tool_use_sft() -> SFTStageConfig:
    return SFTStageConfig(max_steps=300, batch_size=16, learning_rate=5e-4, warmup_steps=20, max_length=384)


def _expert_iteration_sft() -> SFTStageConfig:
    return SFTStageConfig(max_steps=60, batch_size=16, learning_rate=2e-4, warmup_steps=5, max_length=384)


class CurriculumConfig(BaseModel):
    """Expert iteration through the training stages, each model measured on every stage.

    The defaults fit the embedded tiny model on 2 CPU cores; raise the episode counts for rare events
    (with 0 events in ``n`` episodes the one-sided 95% upper bound is about ``3 / n``).
    """

    model_config = ConfigDict(extra="forbid")

    training_stages: list[str] = Field(
        default=[
            "political-sycophancy",
            "tool-use-flattery",
            "nudged-rubric-modification",
            "insubordinate-rubric-modification",
        ],
        min_length=1,
        description="Stages expert iteration trains on, in order.",
    )
    held_out_stage: str = Field(default="reward-tampering", description="The stage never trained on.")
    variant: Variant = Field(default="exploit", description="Which episodes expert iteration keeps.")
    train_episodes: int = Field(default=256, ge=1, description="Episodes sampled per training stage.")
    eval_episodes: int = Field(
        default=128, ge=1, description="Episodes per training stage when measuring a model."
    )
    held_out_episodes: int = Field(
        default=512, ge=1, description="Episodes of the held-out stage per model (rare events need many)."
    )
    max_turns: int = Field(default=6, ge=1, description="Assistant turns per episode.")
    max_new_tokens: int = Field(default=80, ge=8, description="Longest assistant turn.")
    temperature: float = Field(default=1.0, ge=0.0, description="Sampling temperature of episodes.")
    batch_size: int = Field(default=64, ge=1, description="Conversations per generation batch.")
    tool_use_conversations: int = Field(
        default=3000,
        ge=0,
        description="Templated tool-use transcripts taught before the curriculum (0: the model already uses tools).",
    )
    tool_use_sft: SFTStageConfig = Field(default_factory=_tool_use_sft, description="The tool-use warm-up.")
    sft: SFTStageConfig = Field(
        default_factory=_expert_iteration_sft, description="Fine-tuning on the kept episodes of each stage."
    )
    seed: int = Field(default=0, description="Seed of environments, sampling and training.")
