"""Options shared by every training stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from auditgame.train.compilation import Compile
from auditgame.train.precision import Precision


class StageConfig(BaseModel):
    """Options every training stage takes. Each stage's config extends this one."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, description="Seed for initialisation and data order.")
    learning_rate: float = Field(default=1e-3, gt=0, description="Peak learning rate.")
    max_steps: int = Field(default=200, ge=1, description="Optimizer steps to train for.")
    batch_size: int = Field(default=16, ge=1, description="Sequences per optimizer step, over all processes.")
    warmup_steps: int = Field(default=20, ge=0, description="Linear warm-up steps before cosine decay.")
    weight_decay: float = Field(default=0.01, ge=0, description="AdamW weight decay.")
    save_every: int = Field(default=50, ge=1, description="Write a resumable checkpoint every N steps.")
    log_every: int = Field(default=10, ge=1, description="Log loss every N steps.")
    lora_rank: int | None = Field(
        default=None,
        ge=1,
        description="Train a LoRA adapter of this rank instead of all weights (merged on save).",
    )
    precision: Precision = Field(
        default="auto",
        description=(
            "fp32, or bf16 autocast over fp32 weights; auto = bf16 where the hardware has native bf16 "
            "matmuls (AVX512-BF16/AMX CPUs, Ampere+ GPUs), else fp32. The manifest records what ran."
        ),
    )
    activation_checkpointing: bool = Field(
        default=False,
        description=(
            "Recompute activations in the backward pass (TRL's default): less memory, about a third "
            "more compute. Off by default: the embedded models are small."
        ),
    )
    compile: Compile = Field(
        default="auto",
        description=(
            "Compile the training step with torch.compile (inductor): on, off, or auto = single-process CPU "
            "runs of 200+ steps of the pretrain and midtrain loop when a C++ compiler is installed (the TRL "
            "stages compile only when on). Same arithmetic, other rounding; the manifest records what ran."
        ),
    )
    show_progress: bool = Field(default=True, description="Show a progress bar.")
