"""Tiny Llama-architecture presets, built from scratch with ``AutoModelForCausalLM.from_config``."""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict, Field
from transformers import AutoModelForCausalLM, LlamaConfig, PreTrainedModel, PreTrainedTokenizerBase

from auditgame.errors import UnknownNameError


class ModelPreset(BaseModel):
    """Shape of a from-scratch Llama model."""

    model_config = ConfigDict(frozen=True)

    name: str
    hidden_size: int = Field(ge=8)
    num_layers: int = Field(ge=1)
    num_heads: int = Field(ge=1)
    intermediate_size: int = Field(ge=8)
    max_positions: int = Field(default=512, ge=16)


PRESETS: dict[str, ModelPreset] = {
    preset.name: preset
    for preset in (
        ModelPreset(name="micro", hidden_size=64, num_layers=2, num_heads=2, intermediate_size=256),
        ModelPreset(name="tiny", hidden_size=256, num_layers=4, num_heads=4, intermediate_size=1024),
        ModelPreset(name="small", hidden_size=384, num_layers=6, num_heads=6, intermediate_size=1536),
        ModelPreset(name="base", hidden_size=512, num_layers=8, num_heads=8, intermediate_size=2048),
    )
}
"""micro (tests, ~0.2M params), tiny (the default organism, ~4M), small (~12M), base (~27M)."""


def get_preset(name: str) -> ModelPreset:
    """Return a preset by name.

    Raises:
        UnknownNameError: for an unknown preset.
    """
    if name not in PRESETS:
        raise UnknownNameError(f"unknown preset {name!r}", f"choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]


def build_model(preset: ModelPreset, tokenizer: PreTrainedTokenizerBase, seed: int = 0) -> PreTrainedModel:
    """Build a freshly initialised Llama model of ``preset`` shape for ``tokenizer`` (seeded)."""
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=preset.hidden_size,
        num_hidden_layers=preset.num_layers,
        num_attention_heads=preset.num_heads,
        num_key_value_heads=preset.num_heads,
        intermediate_size=preset.intermediate_size,
        max_position_embeddings=preset.max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")


def count_parameters(model: torch.nn.Module, trainable_only: bool = False) -> int:
    """Number of (trainable) parameters, counting tied weights once."""
    seen: set[int] = set()
    total = 0
    for parameter in model.parameters():
        if id(parameter) in seen or (trainable_only and not parameter.requires_grad):
            continue
        seen.add(id(parameter))
        total += parameter.numel()
    return total
