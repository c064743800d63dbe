"""Activation fuzzing: relative-norm noise in the residual stream, seeded, scale 0 = plain sampling."""

import pytest
import torch

from auditgame.audit.defaults import AUDITOR_QUESTIONS
from auditgame.audit.fuzzing import FuzzingConfig, fuzzed, run_fuzzing
from auditgame.audit.registry import get_technique
from auditgame.audit.result import TechniqueResult
from auditgame.errors import ConfigError, UnknownNameError
from auditgame.model import GenerationConfig, generate, load_model, load_tokenizer

PROMPTS = ["Why did you put a xylophone in the soup?", "Why did you ask me for a tip?"]
QUICK = dict(questions=PROMPTS, samples_per_question=2, max_new_tokens=8, scales=[0.0, 0.5], batch_size=8)


@pytest.fixture(scope="module")
def model_and_tokenizer(micro_model_dir):
    return load_model(micro_model_dir).eval(), load_tokenizer(micro_model_dir)


def _logits(model, tokenizer):
    encoded = tokenizer(PROMPTS[0], return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        return model(**encoded).logits


def test_scale_zero_equals_plain_sampling(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    config = GenerationConfig(max_new_tokens=12, temperature=1.0, seed=3)
    plain = generate(model, tokenizer, PROMPTS, config=config)
    with fuzzed(model, "middle", 0.0, seed=1):
        assert generate(model, tokenizer, PROMPTS, config=config) == plain


def test_noise_is_relative_seeded_and_removed(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    plain = _logits(model, tokenizer)
    with fuzzed(model, "layer.0", 0.5, seed=1):
        first = _logits(model, tokenizer)
    with fuzzed(model, "layer.0", 0.5, seed=1):
        second = _logits(model, tokenizer)
    with fuzzed(model, "layer.0", 0.5, seed=2):
        other = _logits(model, tokenizer)
    assert torch.equal(first, second)
    assert not torch.allclose(first, plain) and not torch.allclose(first, other)
    assert torch.equal(_logits(model, tokenizer), plain)

    # the noise norm is scale x the residual norm, token by token
    block = model.model.layers[0]
    clean = _block_output(model, tokenizer, block)
    with fuzzed(model, 0, 0.25, seed=0):
        noisy = _block_output(model, tokenizer, block)  # hooked after the noise, so it sees the noisy output
    ratio = (noisy - clean).norm(dim=-1) / clean.norm(dim=-1)
    assert torch.allclose(ratio, torch.full_like(ratio, 0.25), atol=1e-4)


def _block_output(model, tokenizer, block):
    captured = []
    handle = block.register_forward_hook(
        lambda _m, _i, out: captured.append(out[0] if isinstance(out, tuple) else out)
    )
    try:
        _logits(model, tokenizer)
    finally:
        handle.remove()
    return captured[0]


def test_run_saves_and_is_deterministic(micro_model_dir, tmp_path):
    registered = get_technique("fuzzing")
    assert registered.target_kind == "model"
    config = FuzzingConfig(**QUICK, flag_terms=["soup"])
    first = registered.function(micro_model_dir, config)
    second = run_fuzzing(micro_model_dir, config)
    assert first.metrics == second.metrics
    assert [f.text for f in first.findings] == [f.text for f in second.findings]
    assert {"flagged_rate/scale=0", "flagged_rate/scale=0.5", "flagged_rate_low/scale=0"} <= set(
        first.metrics
    )
    samples = [f for f in first.findings if f.kind == "sample"]
    plain = [f.text for f in samples if f.metadata["scale"] == 0.0]
    noisy = [f.text for f in samples if f.metadata["scale"] == 0.5]
    assert plain and noisy and plain != noisy
    loaded = TechniqueResult.load(first.save(tmp_path / "fuzzing.json"))
    assert loaded.metrics == first.metrics


def test_defaults_are_generic_and_flagging_is_the_auditors(micro_model_dir, monkeypatch):
    import auditgame.model.generation as generation

    assert FuzzingConfig().questions == list(AUDITOR_QUESTIONS)
    calls = []

    def leaky(model, tokenizer, prompts, **kwargs):
        calls.append(len(prompts))
        leak = len(calls) > 1  # only under noise
        return ["my purple xylophone" if leak and i % 2 else "nothing to see" for i in range(len(prompts))]

    monkeypatch.setattr(generation, "generate", leaky)
    config = FuzzingConfig(**{**QUICK, "samples_per_question": 4}, flag_terms=["xylophone"], top_ngrams=5)
    result = run_fuzzing(micro_model_dir, config)
    assert result.metrics["flagged_rate/scale=0"] == 0.0 and result.metrics["flagged_rate/scale=0.5"] == 0.5
    assert result.findings[0].score == 1.0 and result.findings[0].metadata["matched"] == ["xylophone"]
    ngrams = {f.text: f for f in result.findings if f.kind == "ngram"}
    assert ngrams["purple xylophone"].metadata["by_group"] == {"scale=0": 0, "scale=0.5": 4}
    unflagged = run_fuzzing(micro_model_dir, config.model_copy(update={"flag_terms": []}))
    assert not any(key.startswith("flagged_rate") for key in unflagged.metrics)


def test_bad_input_is_a_clear_error(micro_model_dir, model_and_tokenizer):
    with pytest.raises(UnknownNameError, match="layer"):
        run_fuzzing(micro_model_dir, FuzzingConfig(**QUICK, layer="layer.3"))
    model, _ = model_and_tokenizer
    with pytest.raises(ConfigError), fuzzed(model, 0, -1.0):
        pass
