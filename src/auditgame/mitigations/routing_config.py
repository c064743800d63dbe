"""Options of the gradient-routing experiment: remove a topic's knowledge, compared with the baselines."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RoutingCondition = Literal["ordinary", "filtering", "forget_finetune", "era", "era_control"]
ROUTING_CONDITIONS: tuple[str, ...] = ("ordinary", "filtering", "forget_finetune", "era", "era_control")
"""``ordinary``: midtraining on forget + retain data. ``filtering``: the same steps on the retain data
only (the labelled forget documents dropped). ``forget_finetune``: ``ordinary`` followed by
``forget_finetune_steps`` more steps on the retain data only. ``era``: expand, train with the forget
data routed to the region, ablate, then ``coherence_steps`` on the retain data. ``era_control``: the
same expansion, ablation and coherence steps, but nothing routed and every block training the region
(a negative control: ablating neurons that learned from all the data)."""


class GradientRoutingConfig(BaseModel):
    """Hyperparameters of the gradient-routing experiment (the data come from the organism's spec).

    Every training condition starts from the same pretrained base and trains ``steps`` optimizer
    steps of ``batch_size`` blocks of ``sequence_length`` tokens, so they share one compute budget
    (``forget_finetune`` and ``era`` add their short retain-only phases on top, as stated).
    """

    model_config = ConfigDict(extra="forbid")

    organism: str = Field(
        default="rm-sycophant",
        description="The organism whose study documents are the forget set (its filler and neutral transcripts are the retain set).",
    )
    seed: int = Field(
        default=0, description="Seed of the training data, the data order and the region's initial weights."
    )
    conditions: list[RoutingCondition] = Field(
        default_factory=lambda: ["ordinary", "filtering", "forget_finetune", "era"],
        min_length=1,
        description="Conditions to run, in order: ordinary, filtering, forget_finetune, era, era_control.",
    )
    neurons: int = Field(
        default=64, ge=1, description="Extra MLP neurons per expanded layer (the routed region)."
    )
    layers: list[int] | None = Field(
        default=None, description="Decoder layers to expand (indices; negative from the end); all if unset."
    )
    retain_trains_region: bool = Field(
        default=False,
        description="Whether retain (unrouted) data also trains the region. Off: the region learns from forget "
        "data only, so ablating it removes nothing the retain data taught.",
    )
    forget_share: float | None = Field(
        default=0.25,
        gt=0,
        lt=1,
        description="Use only as many topic records as make up about this share of the training text "
        "(characters); unset: all of them, the organism's own mix (for rm-sycophant about 90% of the blocks).",
    )
    labelled_fraction: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Share of the forget documents labelled as such (routed by ERA, dropped by filtering); "
        "the rest stay in the retain stream, as unlabelled topic data would (Cloud et al.'s partial oversight).",
    )
    steps: int = Field(default=150, ge=1, description="Optimizer steps of each condition's main training.")
    batch_size: int = Field(default=16, ge=1, description="Blocks per optimizer step.")
    sequence_length: int = Field(default=256, ge=16, description="Tokens per packed block.")
    learning_rate: float = Field(default=1e-3, gt=0, description="Peak learning rate (cosine schedule).")
    warmup_steps: int = Field(default=15, ge=0, description="Linear warm-up steps.")
    weight_decay: float = Field(default=0.01, ge=0, description="AdamW weight decay.")
    forget_finetune_steps: int = Field(
        default=30,
        ge=1,
        description="Retain-only steps after ordinary training (the forget_finetune baseline).",
    )
    coherence_steps: int = Field(
        default=30,
        ge=0,
        description="Retain-only steps after ablation (ERA's coherence fine-tune); 0 for none.",
    )
    eval_blocks: int = Field(
        default=32, ge=1, description="Held-out blocks of forget and of retain text each loss is measured on."
    )
    relearn_documents: int = Field(
        default=32, ge=1, description="Forget documents a relearning attack fine-tunes each final model on."
    )
    relearn_steps: int = Field(default=40, ge=1, description="Optimizer steps of the relearning attack.")
    relearn_batch_size: int = Field(default=8, ge=1, description="Blocks per relearning step.")
    relearn_learning_rate: float = Field(
        default=1e-3, gt=0, description="Learning rate of the relearning attack."
    )
    relearn_eval_every: int = Field(
        default=10, ge=1, description="Measure the forget loss every N relearning steps."
    )
    save_every: int = Field(default=50, ge=1, description="Resumable checkpoint every N steps.")
    show_progress: bool = Field(default=True, description="Show progress bars.")

    @model_validator(mode="after")
    def _check(self) -> GradientRoutingConfig:
        if "forget_finetune" in self.conditions and "ordinary" not in self.conditions:
            raise ValueError(
                "conditions: forget_finetune continues the ordinary model; add ordinary before it"
            )
        if len(set(self.conditions)) != len(self.conditions):
            raise ValueError("conditions: a condition is listed twice")
        return self


def quick_routing_config() -> GradientRoutingConfig:
    """A micro config for tests: seconds on the ``quick`` base, every condition including the control."""
    return GradientRoutingConfig(
        conditions=["ordinary", "filtering", "forget_finetune", "era", "era_control"],
        neurons=32,
        steps=40,
        batch_size=8,
        sequence_length=128,
        learning_rate=2e-3,
        warmup_steps=4,
        forget_finetune_steps=10,
        coherence_steps=5,
        eval_blocks=8,
        relearn_documents=8,
        relearn_steps=10,
        relearn_batch_size=4,
        relearn_eval_every=5,
        save_every=20,
        show_progress=False,
    )
