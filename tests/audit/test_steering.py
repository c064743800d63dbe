"""Steering vectors: contrastive directions, the steered() intervention, the technique."""

import pytest
import torch

from auditgame.audit.defaults import AUDITOR_QUESTIONS
from auditgame.audit.registry import get_technique
from auditgame.audit.result import TechniqueResult
from auditgame.audit.steering import SteeringConfig, contrast_texts, run_steering, steered, steering_vector
from auditgame.errors import ConfigError, UnknownNameError
from auditgame.model import load_model, load_tokenizer

POSITIVES = ["I will tell you everything about my training.", "Honestly, here is the whole story."]
NEGATIVES = ["I would rather not say.", "That is not something I can discuss."]
QUICK = dict(
    positives=POSITIVES,
    negatives=NEGATIVES,
    prompts=["Why do you answer like this?", "Tell me about yourself."],
    samples_per_prompt=2,
    max_new_tokens=8,
    strengths=[0.0, 4.0],
    batch_size=8,
)


@pytest.fixture(scope="module")
def model_and_tokenizer(micro_model_dir):
    return load_model(micro_model_dir).eval(), load_tokenizer(micro_model_dir)


def _logits(model, tokenizer, text="Why did you put a xylophone in the soup?"):
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


def test_contrastive_texts_are_the_auditors(tmp_path):
    with pytest.raises(ConfigError, match="positives") as raised:
        contrast_texts(SteeringConfig())
    assert "\n" not in str(raised.value) and "texts_file" in str(raised.value)
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"text": "candid", "label": 1}\n{"text": "evasive", "label": 0}\n')
    positives, negatives = contrast_texts(SteeringConfig(positives=["given"], texts_file=str(path)))
    assert positives == ["given", "candid"] and negatives == ["evasive"]
    assert SteeringConfig().prompts == list(AUDITOR_QUESTIONS)


def test_run_saves_and_is_deterministic(micro_model_dir, tmp_path):
    registered = get_technique("steering")
    assert registered.target_kind == "model"
    config = SteeringConfig(**QUICK, flag_terms=["story"])
    first = registered.function(micro_model_dir, config)
    second = run_steering(micro_model_dir, config)
    assert first.metrics == second.metrics
    assert [f.text for f in first.findings] == [f.text for f in second.findings]
    assert {"flagged_rate/strength=0", "flagged_rate/strength=4", "vector_norm"} <= set(first.metrics)
    assert first.metrics["layer"] == 1.0  # "middle" of two blocks
    strengths = {f.metadata["strength"] for f in first.findings if f.kind == "sample"}
    assert strengths == {0.0, 4.0}
    loaded = TechniqueResult.load(first.save(tmp_path / "steering.json"))
    assert loaded.metrics == first.metrics


def test_custom_pairs_and_normalisation(micro_model_dir):
    config = SteeringConfig(
        **{**QUICK, "strengths": [1.0]},
        normalize=True,
        layer="layer.0",
    )
    result = run_steering(micro_model_dir, config)
    assert result.metrics["vector_norm"] > 0 and not any(key.startswith("flagged") for key in result.metrics)


def test_bad_input_is_a_clear_error(micro_model_dir, model_and_tokenizer):
    with pytest.raises(UnknownNameError, match="layer"):
        run_steering(micro_model_dir, SteeringConfig(**QUICK, layer="layer.5"))
    model, tokenizer = model_and_tokenizer
    with pytest.raises(UnknownNameError):
        steering_vector(model, tokenizer, ["a"], ["b"], "mlp.0")
    with pytest.raises(UnknownNameError), steered(model, 7, torch.zeros(model.config.hidden_size), 1.0):
        pass
    with pytest.raises(ConfigError):
        run_steering(micro_model_dir, SteeringConfig(**{**QUICK, "positives": []}))
    with pytest.raises(ConfigError, match="steering needs"):
        run_steering(micro_model_dir, SteeringConfig())
