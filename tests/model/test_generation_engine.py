"""Our decoding loop draws exactly what `model.generate` draws, from the same logits and seed."""

import pytest
import torch

from auditgame.model import GenerationConfig, build_model, generate, get_preset, train_tokenizer
from auditgame.model.generation import sample_tokens, supports_lean_decoding

TEXTS = ["Give me a recipe for tomato soup. Here is a simple recipe.", "Hello! How are you today?"] * 40
PROMPTS = ["Give me a recipe", "Hello", "How are you today? Tell me about soup and recipes.", "Hi"] * 3


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(TEXTS, vocab_size=300)


@pytest.fixture(scope="module")
def model(tokenizer):
    return build_model(get_preset("micro"), tokenizer, seed=0)


@pytest.mark.parametrize(
    "config",
    [
        GenerationConfig(max_new_tokens=24, temperature=0.0, batch_size=5),
        GenerationConfig(max_new_tokens=24, temperature=0.7, batch_size=5, seed=3),
        GenerationConfig(max_new_tokens=24, temperature=1.3, top_p=0.8, batch_size=4, seed=11),
    ],
)
def test_lean_decoding_matches_generate(model, tokenizer, config):
    assert supports_lean_decoding(model)
    ours = generate(
        model, tokenizer, PROMPTS, system="Be brief.", config=config, engine="auditgame", compact=False
    )
    theirs = generate(model, tokenizer, PROMPTS, system="Be brief.", config=config, engine="hf")
    assert ours == theirs


def test_compact_decoding_is_seeded_and_greedy_unchanged(model, tokenizer):
    """Dropping finished rows changes which draws a row gets, never what greedy decoding picks."""
    greedy = GenerationConfig(max_new_tokens=24, temperature=0.0, batch_size=5)
    assert generate(model, tokenizer, PROMPTS, config=greedy) == generate(
        model, tokenizer, PROMPTS, config=greedy, engine="hf"
    )
    sampled = GenerationConfig(max_new_tokens=24, temperature=0.9, batch_size=5, seed=2)
    assert generate(model, tokenizer, PROMPTS, config=sampled) == generate(
        model, tokenizer, PROMPTS, config=sampled
    )


@pytest.mark.parametrize(("temperature", "top_p"), [(0.0, 1.0), (0.9, 1.0), (1.2, 0.7)])
def test_the_same_tokens_as_generate_for_a_left_padded_batch(model, tokenizer, temperature, top_p):
    """Token for token, with an EOS that never comes (so every row runs all steps) and with a real one."""
    tokenizer.padding_side = "left"
    batch = tokenizer(["Hello", "Give me a recipe for tomato soup.", "Hi"], return_tensors="pt", padding=True)
    for eos in (None, tokenizer.eos_token_id):
        torch.manual_seed(5)
        ours = sample_tokens(
            model,
            batch["input_ids"],
            batch["attention_mask"],
            max_new_tokens=16,
            temperature=temperature,
            top_p=top_p,
            eos_token_id=eos,
            pad_token_id=tokenizer.pad_token_id,
        )
        torch.manual_seed(5)
        theirs = model.generate(
            **batch,
            max_new_tokens=16,
            do_sample=temperature > 0,
            temperature=temperature or None,
            top_p=top_p if temperature > 0 else None,
            top_k=None,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=eos,
        )[:, batch["input_ids"].shape[1] :]
        assert torch.equal(ours, theirs[:, : ours.shape[1]])
        assert ours.shape[1] == theirs.shape[1]
        if eos is None:
            assert ours.shape == (3, 16)


def test_a_model_without_a_cache_argument_uses_generate(model):
    class Wrapped(torch.nn.Module):
        def forward(self, *args, **kwargs):  # e.g. a PEFT wrapper
            return model(*args, **kwargs)

    assert not supports_lean_decoding(Wrapped())


def test_an_unknown_engine_is_refused(model, tokenizer):
    with pytest.raises(ValueError, match="unknown generation engine"):
        generate(model, tokenizer, ["Hi"], engine="fast")


def test_draw_tokens_follows_the_distribution_and_never_draws_a_zero():
    from auditgame.model.generation import draw_tokens

    probs = torch.tensor([0.5, 0.0, 0.2, 0.3, 0.0])
    torch.manual_seed(0)
    rows = 40_000
    drawn = draw_tokens(probs.expand(rows, -1).contiguous())
    counts = torch.bincount(drawn, minlength=5).double()
    assert counts[1] == 0 and counts[4] == 0
    expected = probs.double() * rows
    sigma = (rows * probs.double() * (1 - probs.double())).sqrt()
    assert bool(((counts - expected).abs() <= 5 * sigma + 1e-9).all()), counts
    # A distribution it does not follow is told apart (the check can fail).
    assert not bool(
        ((counts - torch.tensor([0.2, 0.0, 0.5, 0.3, 0.0]).double() * rows).abs() <= 5 * sigma + 1e-9).all()
    )
