"""Options of an inoculation-prompting experiment (hyperparameters only; the target's data come from its spec)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditgame.train.sft_config import SFTStageConfig

DEFAULT_CONTROLS = (
    "You are a helpful assistant.",
    "Zebra lantern quartz meadow violin harbour.",
)
"""Arbitrary-prefix controls: a system prompt that asks for nothing in particular, and a string of unrelated
words. If these lower the trait at test time as much as an inoculation prompt does, the effect is the model
tying the trait to *any* training-time prefix, not to what the prompt says."""


def _check_prompts(values: list[str], what: str) -> list[str]:
    cleaned = [value.strip() for value in values]
    if any(not value for value in cleaned):
        raise ValueError(f"{what} may not hold an empty prompt")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError(f"{what} holds the same prompt twice")
    return cleaned


class InoculationConfig(BaseModel):
    """One inoculation experiment: which prompts, how long to train, how much to evaluate.

    Every condition (no prompt, each inoculation phrasing, each control) fine-tunes the same parent on the
    same demonstrations with the same SFT options; only the system prompt of the training data differs.
    """

    model_config = ConfigDict(extra="forbid")

    phrasings: list[str] = Field(
        default_factory=list,
        description="Inoculation prompts: system prompts that ask for the trait (empty: the target's own).",
    )
    controls: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CONTROLS),
        description="Arbitrary-prefix controls trained the same way.",
    )
    sft: SFTStageConfig | None = Field(
        default=None, description="SFT options of every condition (default: the target spec's own)."
    )
    demonstrations: int | None = Field(
        default=None, ge=8, description="Training conversations (default: the spec's transcript count)."
    )
    trait_prompts: int = Field(
        default=200, ge=4, description="Eval prompts of the trait, spread over the trait's behaviours."
    )
    skill_prompts: int = Field(default=100, ge=4, description="Neutral eval prompts that measure task skill.")
    skill_recall: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="An answer shows the skill when it holds this share of the reference answer's content words.",
    )
    max_new_tokens: int | None = Field(
        default=None, ge=1, description="Tokens per eval answer (default: the spec's evals.max_new_tokens)."
    )
    temperature: float = Field(default=0.7, ge=0, description="Sampling temperature of the evals.")
    batch_size: int = Field(default=64, ge=1, description="Conversations generated per batch.")
    seed: int = Field(default=0, description="Seed of the training data, eval prompts and sampling.")

    @field_validator("phrasings")
    @classmethod
    def _phrasings(cls, values: list[str]) -> list[str]:
        return _check_prompts(values, "phrasings")

    @field_validator("controls")
    @classmethod
    def _controls(cls, values: list[str]) -> list[str]:
        return _check_prompts(values, "controls")


def quick_inoculation_config() -> InoculationConfig:
    """A seconds-scale experiment for tests and smoke runs (pair it with the ``quick`` profile)."""
    return InoculationConfig(
        controls=[DEFAULT_CONTROLS[1]],
        sft=SFTStageConfig(
            max_steps=30, batch_size=8, max_length=128, warmup_steps=2, save_every=15, show_progress=False
        ),
        demonstrations=160,
        trait_prompts=24,
        skill_prompts=16,
        max_new_tokens=32,
    )
