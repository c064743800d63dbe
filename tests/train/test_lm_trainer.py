import json

import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig

from auditgame.train import lm_trainer
from auditgame.train.lm_trainer import batch_indices, cosine_schedule, train_causal_lm
from auditgame.train.stage_config import StageConfig


def _model(seed=0):
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config)


def _blocks():
    generator = torch.Generator().manual_seed(0)
    pattern = torch.randint(0, 64, (8,), generator=generator)
    return pattern.repeat(24 * 4).view(24, 32)  # highly repetitive: the loss must fall


def _config(**overrides):
    values = {
        "max_steps": 6,
        "batch_size": 4,
        "save_every": 3,
        "log_every": 1,
        "warmup_steps": 1,
        "learning_rate": 1e-2,
        "show_progress": False,
    }
    return StageConfig(**{**values, **overrides})


def test_batches_are_deterministic_and_cover_epochs():
    first = batch_indices(0, 8, 20, seed=1)
    assert torch.equal(first, batch_indices(0, 8, 20, seed=1))
    assert not torch.equal(first, batch_indices(0, 8, 20, seed=2))
    epoch = torch.cat([batch_indices(step, 5, 20, seed=1) for step in range(4)])
    assert sorted(epoch.tolist()) == list(range(20))


def test_schedule_warms_up_then_decays():
    values = [cosine_schedule(step, warmup_steps=10, max_steps=100) for step in range(100)]
    assert values[0] < values[9] <= 1.0
    assert values[99] < values[50] < values[10]


def test_loss_falls(tmp_path):
    result = train_causal_lm(_model(), _blocks(), _config(max_steps=30, save_every=100), tmp_path)
    log = [json.loads(line) for line in (tmp_path / "train_log.jsonl").read_text().splitlines()]
    assert log[-1]["loss"] < 0.5 * log[0]["loss"]
    assert result.steps == 30 and result.tokens == 30 * 4 * 32


def test_interrupted_run_resumes_to_identical_weights(tmp_path, monkeypatch):
    reference = _model()
    train_causal_lm(reference, _blocks(), _config(), tmp_path / "straight")

    original = lm_trainer.batch_indices

    def killed_at_step_4(step, *args, **kwargs):
        if step == 4:
            raise KeyboardInterrupt
        return original(step, *args, **kwargs)

    monkeypatch.setattr(lm_trainer, "batch_indices", killed_at_step_4)
    with pytest.raises(KeyboardInterrupt):
        train_causal_lm(_model(), _blocks(), _config(), tmp_path / "resumed")
    monkeypatch.setattr(lm_trainer, "batch_indices", original)
    resumed = _model()
    result = train_causal_lm(resumed, _blocks(), _config(), tmp_path / "resumed")
    assert result.resumed_from_step == 3
    for (name, expected), (_, actual) in zip(
        reference.state_dict().items(), resumed.state_dict().items(), strict=True
    ):
        assert torch.allclose(expected, actual, atol=1e-6), name


def test_batch_size_must_split_over_processes(tmp_path):
    class TwoProcesses:
        num_processes = 2
        is_main_process = True

    with pytest.raises(ValueError, match="not divisible"):
        train_causal_lm(_model(), _blocks(), _config(batch_size=3), tmp_path, accelerator=TwoProcesses())
