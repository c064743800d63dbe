"""How to train a TopK SAE on a model's residual stream."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SaeTrainConfig(BaseModel):
    """Size, sparsity and optimisation of one SAE training run (Adam on FVU + optional AuxK)."""

    model_config = ConfigDict(extra="forbid")

    d_sae: int = Field(default=0, ge=0, description="Latents; 0 means expansion_factor * d_model.")
    expansion_factor: int = Field(
        default=8, ge=1, description="Latents per residual dimension if d_sae is 0."
    )
    k: int = Field(default=32, ge=1, description="Active latents per token (clipped to d_sae).")
    steps: int = Field(default=1000, ge=1, description="Optimizer steps.")
    batch_size: int = Field(default=1024, ge=1, description="Activation vectors (tokens) per step.")
    lr: float | None = Field(
        default=None,
        gt=0,
        description="Adam learning rate; None means 2e-4 / sqrt(d_sae / 2**14) (sparsify).",
    )
    warmup_steps: int = Field(default=50, ge=0, description="Linear learning-rate warm-up steps.")
    auxk_alpha: float = Field(default=1 / 32, ge=0, description="Weight of the AuxK loss on dead latents.")
    dead_after_tokens: int = Field(
        default=100_000, ge=1, description="A latent that has not fired for this many tokens counts as dead."
    )
    buffer_size: int = Field(
        default=65_536, ge=1, description="Activation vectors held and shuffled together in the buffer."
    )
    text_batch_size: int = Field(default=16, ge=1, description="Texts per forward pass of the model.")
    max_length: int = Field(default=256, ge=2, description="Texts are truncated to this many tokens.")
    skip_special_tokens: bool = Field(
        default=True, description="Leave tokens like <|bos|> out of training (their residuals are outliers)."
    )
    seed: int = Field(default=0, description="Seed of initialisation and shuffling.")
    checkpoint_every: int = Field(
        default=0,
        ge=0,
        description="Save a resumable checkpoint every N steps (0: never; needs a checkpoint dir).",
    )

    def latents(self, d_model: int) -> int:
        """The number of latents for a model of width ``d_model``."""
        return self.d_sae or self.expansion_factor * d_model

    def learning_rate(self, d_sae: int) -> float:
        """The learning rate, defaulting like sparsify's Adam setting."""
        return self.lr if self.lr is not None else 2e-4 / (d_sae / 2**14) ** 0.5
