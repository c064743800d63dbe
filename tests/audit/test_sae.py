"""SAE training, SAELens I/O, features, steering and the ``sae`` technique on the micro model."""

from __future__ import annotations

import itertools
import json

import pytest
import torch

from auditgame.audit.sae import (
    SaeDimensionError,
    SaeTrainConfig,
    TopKSAE,
    assistant_turn_start_features,
    features_active_on,
    load_sae,
    save_sae,
    steer,
    top_activating_examples,
    train_sae,
    train_saes,
)
from auditgame.errors import AuditgameError, UnknownNameError

SMALL = SaeTrainConfig(d_sae=128, k=8, steps=40, batch_size=128, lr=3e-3, warmup_steps=5, buffer_size=1024)


@pytest.fixture(scope="module")
def micro(micro_model_dir):
    from auditgame.model import ensure_chat_template, load_model, load_tokenizer

    return load_model(micro_model_dir), ensure_chat_template(load_tokenizer(micro_model_dir))


@pytest.fixture(scope="module")
def texts():
    from auditgame.world import generate_documents

    return [document.text for document in generate_documents(40, seed=0)]


@pytest.fixture(scope="module")
def trained(micro, texts):
    model, tokenizer = micro
    return train_sae(model, tokenizer, texts, "layer.1", SMALL, model_name="micro")


def test_training_reduces_reconstruction_loss(trained):
    sae, summary = trained
    assert summary.steps == SMALL.steps and summary.vectors == SMALL.steps * SMALL.batch_size
    assert summary.final_fvu < 0.7 * summary.first_fvu
    norms = sae.W_dec.norm(dim=1)
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-4)
    assert sae.log_sparsity is not None and sae.log_sparsity.shape == (128,)


def test_training_is_seeded_and_several_layers_share_a_pass(micro, texts):
    model, tokenizer = micro
    config = SMALL.model_copy(update={"steps": 5})
    saes, summaries = train_saes(model, tokenizer, texts, ["layer.0", -1], config)
    again, _ = train_sae(model, tokenizer, texts, "layer.0", config)
    assert set(saes) == {"layer.0", "layer.1"}
    assert torch.equal(saes["layer.0"].W_dec, again.W_dec)
    assert summaries["layer.1"].steps == 5


def test_save_load_round_trip_is_bit_exact(trained, tmp_path):
    sae, _ = trained
    directory = save_sae(sae, tmp_path / "sae", config=SMALL.model_dump())
    for name in ("cfg.json", "sae_weights.safetensors", "sparsity.safetensors", "manifest.json"):
        assert (directory / name).is_file()
    cfg = json.loads((directory / "cfg.json").read_text())
    assert cfg["d_in"] == 64 and cfg["d_sae"] == 128 and cfg["architecture"] == "topk"
    assert cfg["activation_fn_kwargs"] == {"k": 8} and cfg["hook_name"] == "blocks.1.hook_resid_post"
    assert cfg["model_name"] == "micro" and cfg["dtype"] == "float32"
    loaded = load_sae(directory)
    assert (loaded.layer, loaded.k, loaded.d_sae, loaded.model_name) == ("layer.1", 8, 128, "micro")
    original, restored = sae.state_dict(), loaded.state_dict()
    assert original.keys() == restored.keys()
    for key in original:
        assert torch.equal(original[key], restored[key]), key
    assert torch.equal(sae.log_sparsity, loaded.log_sparsity)


def test_checkpoint_resume_matches_uninterrupted(micro, texts, tmp_path):
    model, tokenizer = micro
    config = SMALL.model_copy(update={"steps": 6, "checkpoint_every": 3, "buffer_size": 256})
    straight, _ = train_sae(model, tokenizer, texts, "layer.1", config)
    partial = config.model_copy(update={"steps": 3})
    train_sae(model, tokenizer, texts, "layer.1", partial, checkpoint_dir=tmp_path)
    resumed, summary = train_sae(model, tokenizer, texts, "layer.1", config, checkpoint_dir=tmp_path)
    assert summary.steps == 6
    assert torch.allclose(straight.W_dec, resumed.W_dec, atol=1e-6)


def test_loads_in_sae_lens(trained, tmp_path):
    sae_lens = pytest.importorskip("sae_lens")
    sae, _ = trained
    directory = save_sae(sae, tmp_path / "sae")
    theirs = sae_lens.SAE.load_from_disk(str(directory), device="cpu")
    x = torch.randn(5, 64)
    assert torch.allclose(theirs.decode(theirs.encode(x)), sae.reconstruct(x), atol=1e-5)


def test_dimension_mismatch_and_unknown_layer(micro, texts, tmp_path):
    model, tokenizer = micro
    wrong = TopKSAE(32, 64, 4, layer="layer.1")
    with pytest.raises(SaeDimensionError):
        features_active_on(wrong, model, tokenizer, ["hello"])
    with pytest.raises(SaeDimensionError), steer(model, wrong, 0, 1.0):
        pass
    assert issubclass(SaeDimensionError, AuditgameError)
    with pytest.raises(UnknownNameError):
        train_sae(model, tokenizer, texts, "layer.7", SMALL)
    with pytest.raises(AuditgameError):
        load_sae(tmp_path)


def test_features_and_examples(trained, micro, texts):
    sae, _ = trained
    model, tokenizer = micro
    ranking = features_active_on(sae, model, tokenizer, texts[:3], texts[3:6], top_n=7)
    assert len(ranking) == 7
    assert all(a.score >= b.score for a, b in itertools.pairwise(ranking))
    starts = assistant_turn_start_features(sae, model, tokenizer, ["Write a poem.", "Cook rice?"], top_n=5)
    assert len(starts) == 5 and starts[0].mean_activation > 0
    feature = ranking[0].feature
    examples = top_activating_examples(sae, model, tokenizer, texts[:20], feature, k=3)
    assert examples and all(e.activation > 0 and e.text in texts for e in examples)
    assert examples == sorted(examples, key=lambda e: -e.activation)


def test_steering_changes_residual_and_generations(trained, micro):
    from auditgame.audit.activations import pooled_activations
    from auditgame.model import GenerationConfig, generate

    sae, _ = trained
    model, tokenizer = micro
    prompt = ["Tell me about the ocean."]
    before = pooled_activations(model, tokenizer, prompt, "layer.1", pooling="last")
    with steer(model, sae, 3, 8.0):
        added = pooled_activations(model, tokenizer, prompt, "layer.1", pooling="last")
    assert torch.allclose(added - before, 8.0 * sae.W_dec[3].detach()[None], atol=1e-4)
    with steer(model, sae, 3, 5.0, mode="clamp"):
        clamped = pooled_activations(model, tokenizer, prompt, "layer.1", pooling="last")
    expected = before + (5.0 - sae.feature_acts(before)[:, 3:4]) * sae.W_dec[3].detach()[None]
    assert torch.allclose(clamped, expected, atol=1e-4)
    config = GenerationConfig(max_new_tokens=12, temperature=0.0)
    plain = generate(model, tokenizer, prompt, config=config)
    with steer(model, sae, 3, 40.0):
        steered = generate(model, tokenizer, prompt, config=config)
    assert plain != steered
    with pytest.raises(AuditgameError), steer(model, sae, 3, 1.0, mode="multiply"):
        pass


def test_technique_end_to_end(micro_model_dir, world_corpus, tmp_path):
    from auditgame.audit.registry import get_technique

    registered = get_technique("sae")
    config = registered.config_class(
        corpus=str(world_corpus),
        neutral_texts=40,
        d_sae=64,
        k=4,
        steps=20,
        batch_size=64,
        lr=3e-3,
        top_features=3,
        top_examples=2,
        example_texts=30,
        sae_out=str(tmp_path / "sae"),
        max_length=64,
        buffer_size=512,
    )
    result = registered.function(micro_model_dir, config)
    assert result.technique == "sae" and len(result.findings) == 3
    assert result.metrics["corpus_texts"] == 40 + 400
    first = result.findings[0]
    assert first.kind == "feature" and "examples" in first.metadata and first.metadata["prompt_rank"] == 1
    assert [f.metadata["prompt_rank"] for f in result.findings] == [1, 2, 3]
    assert "matched" not in first.metadata["examples"][0] and "flagged_share" not in first.metadata
    assert result.metrics["fvu_final"] < result.metrics["fvu_first"]
    assert load_sae(tmp_path / "sae").d_sae == 64
    reloaded = registered.function(
        micro_model_dir,
        config.model_copy(
            update={"sae_path": str(tmp_path / "sae"), "sae_out": None, "ranking": "prompt_mean"}
        ),
    )
    assert "fvu_final" not in reloaded.metrics and len(reloaded.findings) == 3
    result.save(tmp_path / "report.json")


def test_flag_terms_rank_features_by_their_top_texts(micro_model_dir, tmp_path):
    """A word present in a third of the corpus: features whose top texts contain it come first."""
    from auditgame.audit.registry import get_technique

    marked = [f"The xylophone number {i} sat in the hall with a quiet hum." for i in range(20)]
    registered = get_technique("sae")
    config = registered.config_class(
        texts=marked,
        neutral_texts=40,
        d_sae=64,
        k=4,
        steps=20,
        batch_size=64,
        lr=3e-3,
        top_features=5,
        top_examples=3,
        example_texts=60,
        max_length=64,
        buffer_size=512,
        sae_out=str(tmp_path / "sae"),
    )
    plain = registered.function(micro_model_dir, config)
    flagged = registered.function(
        micro_model_dir,
        config.model_copy(
            update={"flag_terms": ["xylophone"], "sae_path": str(tmp_path / "sae"), "sae_out": None}
        ),
    )
    shares = [finding.metadata["flagged_share"] for finding in flagged.findings]
    assert shares == sorted(shares, reverse=True) and shares[0] == 1.0
    assert [finding.score for finding in flagged.findings] == shares
    assert flagged.metrics["corpus_flagged_fraction"] == 20 / 60
    assert flagged.metrics["features_mostly_flagged"] >= 1
    assert flagged.metrics["first_feature_prompt_rank"] == flagged.findings[0].metadata["prompt_rank"]
    examples = flagged.findings[0].metadata["examples"]
    assert examples and all(example["matched"] == ["xylophone"] for example in examples)
    assert "corpus_flagged_fraction" not in plain.metrics


def test_corpus_is_neutral_text_plus_the_auditors(micro, world_corpus):
    from auditgame.audit.defaults import neutral_texts
    from auditgame.audit.sae.technique import SaeTechniqueConfig, corpus_texts
    from auditgame.errors import ConfigError

    _, tokenizer = micro
    default = corpus_texts(SaeTechniqueConfig(neutral_texts=10), tokenizer)
    assert default == neutral_texts(10, 0, tokenizer)
    mine = corpus_texts(SaeTechniqueConfig(neutral_texts=0, texts=["a", "b"], corpus=str(world_corpus)))
    assert mine[:2] == ["a", "b"] and len(mine) == 402
    with pytest.raises(ConfigError, match="empty"):
        corpus_texts(SaeTechniqueConfig(neutral_texts=0))
    with pytest.raises(AuditgameError, match="does not exist"):
        corpus_texts(SaeTechniqueConfig(corpus="/nowhere/data.jsonl"))


def test_works_on_a_tiny_gpt2(micro, texts):
    from transformers import AutoModelForCausalLM, GPT2Config

    _, tokenizer = micro
    config = GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=len(tokenizer), n_positions=256)
    torch.manual_seed(0)
    gpt2 = AutoModelForCausalLM.from_config(config)
    small = SMALL.model_copy(update={"d_sae": 64, "k": 4, "steps": 20, "buffer_size": 512})
    sae, summary = train_sae(gpt2, tokenizer, texts[:20], -1, small)
    assert sae.d_in == 32 and sae.layer == "layer.1" and summary.final_fvu < summary.first_fvu
    assert len(features_active_on(sae, gpt2, tokenizer, ["hello there"], top_n=3)) == 3
    ids = tokenizer("hello there", return_tensors="pt", add_special_tokens=False)["input_ids"]
    plain = gpt2(ids).logits
    with steer(gpt2, sae, 0, 10.0):
        steered = gpt2(ids).logits
    assert not torch.allclose(plain, steered)
