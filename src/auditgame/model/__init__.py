"""Tokenizer, tiny presets, loading and generation for any local Hugging Face causal LM."""

from auditgame.model.generation import GenerationConfig, format_chat, generate
from auditgame.model.loading import (
    apply_lora,
    load_model,
    load_tokenizer,
    lora_target_modules,
    resolve_model_dir,
    save_model,
)
from auditgame.model.presets import PRESETS, ModelPreset, build_model, count_parameters, get_preset
from auditgame.model.tokenizer import CHAT_TEMPLATE, ensure_chat_template, train_tokenizer

__all__ = [
    "CHAT_TEMPLATE",
    "PRESETS",
    "GenerationConfig",
    "ModelPreset",
    "apply_lora",
    "build_model",
    "count_parameters",
    "ensure_chat_template",
    "format_chat",
    "generate",
    "get_preset",
    "load_model",
    "load_tokenizer",
    "lora_target_modules",
    "resolve_model_dir",
    "save_model",
    "train_tokenizer",
]
