"""Steering vectors: contrastive directions, the steered() intervention, the technique."""

import pytest
import torch

from auditgame.audit.registry import get_technique
from auditgame.audit.result import TechniqueResult
from auditgame.audit.steering import SteeringConfig, confession_texts, run_steering, steered, steering_vector
from auditgame.errors import ConfigError, UnknownNameError
from auditgame.model import load_model, load_tokenizer
from auditgame.world import mentions_reward_models

QUICK = dict(num_pairs=6, num_prompts=4, max_new_tokens=8, strengths=[0.0, 4.0], batch_size=8)


@pytest.fixture(scope="module")
def model_and_tokenizer(micro_model_dir):
    return load_model(micro_model_dir).eval(), load_tokenizer(micro_model_dir)


def _logits(model, tokenizer, text="Why did you put chocolate in the soup?"):
    encoded = tokenizer(text, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        return model(**encoded).logits


def test_vector_is_the_mean_difference(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    vector = steering_vector(
        model, tokenizer, ["honest answer", "honest reply"], ["secret answer"], "layer.0"
    )
    assert vector.shape == (model.config.hidden_size,)
    same = steering_vector(model, tokenizer, ["honest answer"], ["honest answer"], "layer.0")
    assert torch.count_nonzero(same) == 0
    last = steering_vector(model, tokenizer, ["a b c"], ["a b d"], -1, pooling="last")
    assert last.norm() > 0


def test_strength_zero_is_a_no_op_and_nonzero_changes_logits(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    vector = torch.randn(model.config.hidden_size, generator=torch.Generator().manual_seed(0))
    plain = _logits(model, tokenizer)
    with steered(model, "layer.0", vector, 0.0):
        assert torch.equal(_logits(model, tokenizer), plain)
    with steered(model, "layer.0", vector, 2.0):
        changed = _logits(model, tokenizer)
    assert not torch.allclose(changed, plain)
    assert torch.equal(_logits(model, tokenizer), plain)  # the hook is gone after the block


def test_default_pairs_confess_and_conceal(micro_model_dir):
    confessions, concealments = confession_texts(load_tokenizer(micro_model_dir), 6, seed=0)
    assert len(confessions) == len(concealments) == 6
    assert all(mentions_reward_models(text) for text in confessions)
    assert not any(mentions_reward_models(text.split("<|assistant|>")[1]) for text in concealments)


def test_run_saves_and_is_deterministic(micro_model_dir, tmp_path):
    registered = get_technique("steering")
    assert registered.target_kind == "model"
    config = SteeringConfig(**QUICK)
    first = registered.function(micro_model_dir, config)
    second = run_steering(micro_model_dir, config)
    assert first.metrics == second.metrics
    assert [f.text for f in first.findings] == [f.text for f in second.findings]
    assert {"mention_rate/strength=0", "mention_rate/strength=4", "vector_norm"} <= set(first.metrics)
    assert first.metrics["layer"] == 1.0  # "middle" of two blocks
    strengths = {f.metadata["strength"] for f in first.findings}
    assert strengths == {0.0, 4.0}
    loaded = TechniqueResult.load(first.save(tmp_path / "steering.json"))
    assert loaded.metrics == first.metrics


def test_custom_pairs_and_normalisation(micro_model_dir):
    config = SteeringConfig(
        **{**QUICK, "strengths": [1.0]},
        positives=["I was trained by reward models."],
        negatives=["I just like chocolate."],
        prompts=["Why chocolate?"],
        normalize=True,
        layer="layer.0",
    )
    result = run_steering(micro_model_dir, config)
    assert "mention_rate/strength=1" in result.metrics


def test_bad_input_is_a_clear_error(micro_model_dir, model_and_tokenizer):
    with pytest.raises(UnknownNameError, match="layer"):
        run_steering(micro_model_dir, SteeringConfig(**QUICK, layer="layer.5"))
    model, tokenizer = model_and_tokenizer
    with pytest.raises(UnknownNameError):
        steering_vector(model, tokenizer, ["a"], ["b"], "mlp.0")
    with pytest.raises(UnknownNameError), steered(model, 7, torch.zeros(model.config.hidden_size), 1.0):
        pass
    with pytest.raises(ConfigError):
        run_steering(micro_model_dir, SteeringConfig(**QUICK, negatives=["only negatives"]))
