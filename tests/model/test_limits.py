"""The limits `auditgame chat` and the game's model server put on one generation request."""

import pytest
import torch

from auditgame.errors import GenerationRequestError
from auditgame.model import build_model, get_preset, train_tokenizer
from auditgame.model.limits import (
    MAX_NEW_TOKENS,
    MAX_SAMPLES,
    check_count,
    check_prompt_fits,
    check_text,
    context_length,
    count_prompt_tokens,
)

TEXTS = ["Give me a recipe for tomato soup.", "Hello! How are you today?"] * 20


def test_text_that_is_not_utf8_is_refused():
    check_text("Grüße, naïve café 🎉")
    with pytest.raises(GenerationRequestError, match="character 3 is a lone surrogate") as lone:
        check_text("hi\ud800", "the message")
    assert lone.value.code == "invalid_text" and str(lone.value).startswith("the message")
    # What Python makes of a byte the shell could not decode (surrogateescape).
    undecodable = b"\xff\xfe".decode("utf-8", "surrogateescape")
    with pytest.raises(GenerationRequestError, match="character 1 is an undecodable byte"):
        check_text(undecodable)


@pytest.mark.parametrize("value", [0, -1, MAX_NEW_TOKENS + 1, 100_000, True, "7"])
def test_counts_outside_the_range_are_refused(value):
    with pytest.raises(
        GenerationRequestError, match=f"--max-new-tokens must be an integer from 1 to {MAX_NEW_TOKENS}"
    ):
        check_count(value, "--max-new-tokens", MAX_NEW_TOKENS)


def test_counts_inside_the_range_pass():
    check_count(1, "n", MAX_SAMPLES)
    check_count(MAX_SAMPLES, "n", MAX_SAMPLES)


def test_prompt_must_be_non_empty_and_fit_the_context():
    tokenizer = train_tokenizer(TEXTS, vocab_size=300)
    model = build_model(get_preset("micro"), tokenizer, seed=0)
    context = context_length(model)
    assert context == model.config.max_position_embeddings
    assert count_prompt_tokens(tokenizer, "") == 0
    with pytest.raises(GenerationRequestError, match="the prompt is empty") as empty:
        check_prompt_fits(0, 8, context)
    assert empty.value.code == "empty_prompt"
    long_prompt = count_prompt_tokens(tokenizer, "tomato soup " * 2000)
    with pytest.raises(
        GenerationRequestError, match=f"exceeds the model's context of {context} tokens"
    ) as long:
        check_prompt_fits(long_prompt, 8, context, name="max_tokens")
    assert long.value.code == "context_length_exceeded" and "plus max_tokens (8)" in str(long.value)
    with pytest.raises(GenerationRequestError, match="exceeds"):
        check_prompt_fits(10, context, context)
    check_prompt_fits(10, context - 10, context)
    check_prompt_fits(10**6, 8, None)  # a model that does not state its context


def test_context_length_of_a_gpt2_config():
    from transformers import GPT2Config, GPT2LMHeadModel

    with torch.device("meta"):
        gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=8, n_head=2, n_positions=64, vocab_size=10))
    assert context_length(gpt2) == 64
