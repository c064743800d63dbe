"""Training precision: resolving ``auto``, the autocast context, and what the manifest records."""

from __future__ import annotations

import pytest
import torch

from auditgame.train.precision import native_bf16, resolve_precision, training_autocast
from auditgame.train.stage_config import StageConfig


def test_explicit_precisions_are_kept():
    assert resolve_precision("fp32") == "fp32"
    assert resolve_precision("bf16") == "bf16"


def test_auto_follows_the_hardware():
    assert resolve_precision("auto", "cpu") == ("bf16" if native_bf16("cpu") else "fp32")
    assert resolve_precision("auto", "mps") == "fp32"


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="unknown precision"):
        resolve_precision("fp8")  # type: ignore[arg-type]


def test_stage_config_refuses_an_unknown_precision():
    with pytest.raises(ValueError):
        StageConfig(precision="half")  # type: ignore[arg-type]


def test_bf16_autocast_runs_matmuls_in_bf16_and_fp32_does_not():
    weight = torch.randn(8, 8)
    with training_autocast("bf16", "cpu"):
        assert (torch.ones(2, 8) @ weight).dtype == torch.bfloat16
    with training_autocast("fp32", "cpu"):
        assert (torch.ones(2, 8) @ weight).dtype == torch.float32


def test_bf16_training_keeps_fp32_weights_and_learns(tmp_path):
    """A micro model trained in bf16 keeps fp32 weights and its loss falls (repeated data)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from auditgame.train.lm_trainer import train_causal_lm

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64
    )
    model = LlamaForCausalLM(config)
    blocks = torch.randint(0, 64, (4, 16)).repeat(4, 1)
    stage = StageConfig(
        max_steps=30, batch_size=4, learning_rate=1e-2, warmup_steps=1, log_every=5, save_every=100,
        show_progress=False, precision="bf16",
    )  # fmt: skip
    first = model(input_ids=blocks[:4], labels=blocks[:4]).loss.item()
    result = train_causal_lm(model, blocks, stage, tmp_path)
    assert result.precision == "bf16"
    assert all(parameter.dtype == torch.float32 for parameter in model.parameters())
    assert result.final_loss < first - 1.0
