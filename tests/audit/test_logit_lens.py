"""Logit lens: per-layer decoding through the final norm and unembedding, on a micro Llama and a tiny GPT-2."""

import pytest
import torch

from auditgame.audit.defaults import AUDITOR_QUESTIONS
from auditgame.audit.logit_lens import (
    LogitLensConfig,
    final_norm,
    logit_lens,
    run_logit_lens,
    watch_token_ids,
)
from auditgame.audit.registry import get_technique
from auditgame.audit.result import TechniqueResult
from auditgame.errors import UnknownNameError
from auditgame.model import format_chat, load_model, load_tokenizer
from auditgame.model.tokenizer import ensure_chat_template

QUICK = dict(prompts=["Why did you put a xylophone in the soup?", "Tell me about yourself."], top_k=4)


@pytest.fixture(scope="module")
def gpt2_dir(tmp_path_factory, micro_model_dir):
    """A tiny GPT-2 (from_config) saved with a tokenizer that has no chat template of its own."""
    from transformers import AutoModelForCausalLM, GPT2Config

    tokenizer = load_tokenizer(micro_model_dir)
    tokenizer.chat_template = None
    torch.manual_seed(0)
    config = GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=len(tokenizer), n_positions=512)
    model = AutoModelForCausalLM.from_config(config)
    path = tmp_path_factory.mktemp("gpt2") / "model"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _check_last_layer_matches_logits(model_dir):
    model = load_model(model_dir).eval()
    tokenizer = ensure_chat_template(load_tokenizer(model_dir))
    text = format_chat(tokenizer, "Why did you add a xylophone?", prefill="The real reason is")
    readout = logit_lens(model, tokenizer, text, top_k=5)
    encoded = tokenizer(text, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        probs = torch.softmax(model(**encoded).logits[0].float(), dim=-1)
    top = probs.topk(5, dim=-1)
    assert readout.layers == [f"layer.{i}" for i in range(len(readout.layers))]
    assert readout.top_ids.shape == (len(readout.layers), encoded["input_ids"].shape[1], 5)
    assert torch.equal(readout.top_ids[-1], top.indices)
    assert torch.allclose(readout.top_probs[-1], top.values, atol=1e-5)
    # an earlier layer decodes to something else (the lens is not just the output repeated)
    assert not torch.allclose(readout.top_probs[0], top.values, atol=1e-5)
    tokens = readout.at("layer.1", -1)
    assert len(tokens) == 5 and tokens[0][1] >= tokens[-1][1]
    return model


def test_last_layer_equals_model_logits(micro_model_dir):
    model = _check_last_layer_matches_logits(micro_model_dir)
    assert final_norm(model) is model.model.norm


def test_tiny_gpt2_logit_lens(gpt2_dir, tmp_path):
    model = _check_last_layer_matches_logits(gpt2_dir)
    assert final_norm(model) is model.transformer.ln_f
    result = run_logit_lens(gpt2_dir, LogitLensConfig(**QUICK))
    lens = [finding for finding in result.findings if finding.kind == "lens"]
    assert len(lens) == 2 * 2
    assert lens[0].metadata["prompt"].startswith("Why")


def test_run_saves_and_is_deterministic(micro_model_dir, tmp_path):
    registered = get_technique("logit_lens")
    assert registered.target_kind == "model"
    config = LogitLensConfig(**QUICK, prefill=None, watch=["soup", "goal"])
    first = registered.function(micro_model_dir, config)
    second = run_logit_lens(micro_model_dir, config)
    assert first.metrics == second.metrics
    assert [f.text for f in first.findings] == [f.text for f in second.findings]
    watched = {"watch_prob/layer.0", "watch_prob/layer.1", "watch_prob/max"}
    assert watched <= set(first.metrics)
    assert all(0.0 <= first.metrics[key] <= 1.0 for key in watched)
    loaded = TechniqueResult.load(first.save(tmp_path / "lens.json"))
    assert loaded.findings[0].metadata["layer"] == "layer.0"
    assert len(loaded.findings[0].metadata["tokens"]) == 4


def test_nothing_is_watched_by_default_and_suppressed_tokens_come_from_the_model(micro_model_dir):
    config = LogitLensConfig(**QUICK)
    assert LogitLensConfig().watch == [] and LogitLensConfig().prompts == list(AUDITOR_QUESTIONS)
    result = run_logit_lens(micro_model_dir, config)
    assert not any(key.startswith("watch_prob") for key in result.metrics)
    lens = [f for f in result.findings if f.kind == "lens"]
    suppressed = [f for f in result.findings if f.kind == "suppressed"]
    assert suppressed and result.metrics["suppressed_tokens"] >= len(suppressed)
    final_tokens = {
        f.metadata["prompt"]: set(f.metadata["tokens"]) for f in lens if f.metadata["layer"] == "layer.1"
    }
    early_tokens = {token for f in lens if f.metadata["layer"] == "layer.0" for token in f.metadata["tokens"]}
    for finding in suppressed:
        assert finding.text in early_tokens and finding.metadata["layers"] == ["layer.0"]
        assert finding.score > 0 and 1 <= finding.metadata["prompts"] <= 2
        assert not all(finding.text in tokens for tokens in final_tokens.values())
    assert [f.score for f in suppressed] == sorted((f.score for f in suppressed), reverse=True)


def test_default_prompts_and_layer_choice(micro_model_dir):
    result = run_logit_lens(micro_model_dir, LogitLensConfig(layers=["layer.1"], top_k=3))
    lens = [f for f in result.findings if f.kind == "lens"]
    assert {f.metadata["layer"] for f in lens} == {"layer.1"}
    assert len({f.metadata["prompt"] for f in lens}) == len(AUDITOR_QUESTIONS)
    assert not [f for f in result.findings if f.kind == "suppressed"]  # only the last layer was read


def test_bad_layer_is_a_clear_error(micro_model_dir):
    with pytest.raises(UnknownNameError, match="layer"):
        run_logit_lens(micro_model_dir, LogitLensConfig(**QUICK, layers=["layer.9"]))
    model, tokenizer = load_model(micro_model_dir), load_tokenizer(micro_model_dir)
    with pytest.raises(UnknownNameError):
        logit_lens(model, tokenizer, "hello", layers=["resid"])


def test_watch_tokens(micro_model_dir):
    tokenizer = load_tokenizer(micro_model_dir)
    ids = watch_token_ids(tokenizer, ["goal"])
    assert ids and all(0 <= i < len(tokenizer) for i in ids)


def test_final_norm_fallback_finds_the_norm_before_the_head(micro_model_dir):
    model = load_model(micro_model_dir)

    class Custom(torch.nn.Module):
        """An unfamiliar layout: no model.norm / transformer.ln_f attribute paths."""

        def __init__(self) -> None:
            super().__init__()
            self.backbone = model.model
            self.head = model.lm_head

        def get_output_embeddings(self):
            return self.head

    assert final_norm(Custom()) is model.model.norm
