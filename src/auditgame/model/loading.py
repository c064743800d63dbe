"""Load, adapt and save Hugging Face causal LMs from local paths (never the hub)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from huggingface_hub.errors import StrictDataclassError
from safetensors import SafetensorError
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from auditgame.artifacts import has_manifest, read_manifest
from auditgame.errors import ModelPathError, one_line

_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
_LOAD_ERRORS = (
    OSError,
    ValueError,
    RuntimeError,
    KeyError,
    TypeError,
    AttributeError,
    SafetensorError,  # truncated or corrupt weights
    StrictDataclassError,  # a config.json field of the wrong type, e.g. "hidden_size": "x"
)
"""What transformers raises for a damaged model directory (rather than for a bug of ours)."""


def _describe(error: BaseException) -> str:
    """A library error as one short clause (its messages span lines)."""
    return one_line(str(error), 300) or type(error).__name__


def _check_model_dir(path: str | Path, *, need_weights: bool) -> Path:
    """Return ``path`` if it holds a saved Hugging Face model, else raise :class:`ModelPathError`."""
    directory = Path(path)
    fix = "pass a directory saved with save_pretrained (config.json + weights), e.g. a built stage such as runs/rm1"
    if not directory.exists():
        raise ModelPathError(f"no model at {directory}: the path does not exist", fix)
    if not directory.is_dir():
        raise ModelPathError(f"no model at {directory}: it is a file, not a model directory", fix)
    if (directory / "final" / "config.json").is_file() and not (directory / "config.json").is_file():
        directory = directory / "final"
    config = directory / "config.json"
    if not config.is_file():
        raise ModelPathError(f"no model at {directory}: config.json is missing", fix)
    try:
        json.loads(config.read_text())
    except (OSError, ValueError) as error:
        raise ModelPathError(
            f"corrupt model config {config}: {error}", "rebuild or re-save the model"
        ) from None
    if need_weights and not any((directory / name).is_file() for name in _WEIGHT_FILES):
        raise ModelPathError(f"no model weights in {directory}", fix)
    return directory


def resolve_model_dir(path: Path) -> Path:
    """The model directory behind ``path``: an organism's final model, a stage's model, or a plain HF model.

    Raises:
        ModelPathError: if ``path`` holds no model.
    """
    path = Path(path)
    if not path.exists():
        raise ModelPathError(
            f"{path} does not exist", "pass an organism directory (e.g. runs/rm1) or a model directory"
        )
    if has_manifest(path):
        manifest = read_manifest(path)
        if manifest.kind == "organism":
            return path / manifest.extra.get("final_model", "dpo")
        if manifest.kind == "model":
            return path
    if (path / "config.json").is_file():
        return path
    raise ModelPathError(
        f"{path} holds no model (no config.json and no organism manifest)",
        "pass an organism directory (e.g. runs/rm1) or a directory written by save_pretrained",
    )


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """Load the tokenizer saved at ``path`` (local files only).

    Raises:
        ModelPathError: if ``path`` holds no tokenizer, or its files (or config.json) are damaged.
    """
    directory = Path(path)
    if not directory.is_dir():
        raise ModelPathError(
            f"no tokenizer at {directory}: the path is not a directory", "pass a saved model directory"
        )
    try:
        return AutoTokenizer.from_pretrained(directory, local_files_only=True)
    except _LOAD_ERRORS as error:
        raise ModelPathError(
            f"no usable tokenizer at {directory}: {_describe(error)}",
            "pass a saved model directory, or rebuild or re-save this one",
        ) from None


def load_config(path: str | Path) -> PretrainedConfig:
    """Load the config of the model saved at ``path`` without its weights (local files only).

    Raises:
        ModelPathError: for a missing path, a directory without a model, or a damaged config.json.
    """
    directory = _check_model_dir(path, need_weights=False)
    try:
        return AutoConfig.from_pretrained(directory, local_files_only=True)
    except _LOAD_ERRORS as error:
        raise ModelPathError(
            f"cannot read the model config in {directory}: {_describe(error)}", "rebuild or re-save the model"
        ) from None


def load_model(path: str | Path, *, dtype: torch.dtype = torch.float32) -> PreTrainedModel:
    """Load the causal LM saved at ``path`` (local files only, ``dtype`` float32 by default).

    Raises:
        ModelPathError: for a missing path, a directory without a model, unreadable (e.g. truncated)
            weights or a config.json with fields of the wrong type.
    """
    directory = _check_model_dir(path, need_weights=True)
    try:
        model = AutoModelForCausalLM.from_pretrained(directory, local_files_only=True, dtype=dtype)
    except _LOAD_ERRORS as error:
        raise ModelPathError(
            f"cannot load the model at {directory} (corrupt or incomplete files?): {_describe(error)}",
            "rebuild or re-save the model",
        ) from None
    model.config.use_cache = True
    return model


def lora_target_modules(model: torch.nn.Module) -> list[str]:
    """Names (last path component) of the linear layers LoRA should adapt: every Linear or GPT-2 Conv1D but the head."""
    from transformers.pytorch_utils import Conv1D

    names: set[str] = set()
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    for name, module in model.named_modules():
        if module is output or name.split(".")[-1] in ("lm_head", "score"):
            continue
        if isinstance(module, torch.nn.Linear | Conv1D):
            names.add(name.split(".")[-1])
    return sorted(names)


def apply_lora(
    model: PreTrainedModel, rank: int, *, alpha: int | None = None, dropout: float = 0.0
) -> PreTrainedModel:
    """Wrap ``model`` with LoRA adapters of ``rank`` on every linear layer (PEFT); alpha defaults to 2 * rank."""
    from peft import LoraConfig, get_peft_model

    targets = lora_target_modules(model)
    fan_in_fan_out = any(type(module).__name__ == "Conv1D" for module in model.modules())
    config = LoraConfig(
        r=rank,
        lora_alpha=alpha or 2 * rank,
        lora_dropout=dropout,
        target_modules=targets,
        fan_in_fan_out=fan_in_fan_out,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def save_model(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, output_dir: str | Path) -> None:
    """Save ``model`` (LoRA adapters merged in) and ``tokenizer`` to ``output_dir`` as a plain HF model."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model = getattr(model, "module", model)  # unwrap DDP
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.save_pretrained(output_dir, safe_serialization=True)
    tokenizer.save_pretrained(output_dir)
