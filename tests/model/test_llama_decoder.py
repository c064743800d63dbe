"""The lean decoder computes the model's own logits, and refuses the models it cannot reproduce."""

import pytest
import torch
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

from auditgame.model import build_model, get_preset, train_tokenizer
from auditgame.model.llama_decoder import lean_decoder_for

TEXTS = ["Give me a recipe for tomato soup. Here is a simple recipe.", "Hello! How are you today?"] * 40


@pytest.fixture(scope="module")
def tokenizer():
    tokenizer = train_tokenizer(TEXTS, vocab_size=300)
    tokenizer.padding_side = "left"
    return tokenizer


def _grouped_query_model(vocab_size: int) -> LlamaForCausalLM:
    torch.manual_seed(1)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=48,
        num_hidden_layers=2,
        num_attention_heads=6,
        num_key_value_heads=2,
        intermediate_size=96,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(config).eval()


@pytest.mark.parametrize("kind", ["preset", "grouped-query"])
@torch.inference_mode()
def test_logits_match_the_model_forward_on_a_left_padded_batch(tokenizer, kind):
    model = (
        build_model(get_preset("micro"), tokenizer, seed=0).eval()
        if kind == "preset"
        else _grouped_query_model(len(tokenizer))
    )
    batch = tokenizer(["Hello", "Give me a recipe for tomato soup.", "Hi"], return_tensors="pt", padding=True)
    mask = batch["attention_mask"]
    assert (mask == 0).any()  # the batch really is padded
    positions = mask.cumsum(-1) - 1
    positions.masked_fill_(mask == 0, 1)
    cache = DynamicCache(config=model.config)
    reference = model(
        input_ids=batch["input_ids"], attention_mask=mask, position_ids=positions, cache=cache, use_cache=True
    ).logits[:, -1]
    decoder = lean_decoder_for(model)
    assert decoder is not None
    ours = decoder.prefill(batch["input_ids"], mask, max_new_tokens=6)
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-5)
    position, rows = positions[:, -1:], torch.tensor([7, 11, 13])
    for step in range(6):
        if step == 3:  # a row leaves the batch midway
            keep = torch.tensor([0, 2])
            decoder.keep(keep)
            cache.batch_select_indices(keep)
            mask, position, rows = mask[keep], position[keep], rows[keep]
        token = rows + step
        mask = torch.cat([mask, mask.new_ones(mask.shape[0], 1)], dim=1)
        position = position + 1
        reference = model(
            input_ids=token[:, None], attention_mask=mask, position_ids=position, cache=cache, use_cache=True
        ).logits[:, -1]
        torch.testing.assert_close(decoder.step(token), reference, rtol=1e-5, atol=1e-5)


def test_models_it_cannot_reproduce_keep_their_own_forward(tokenizer):
    model = build_model(get_preset("micro"), tokenizer, seed=0)
    assert lean_decoder_for(model) is not None
    handle = model.model.layers[0].register_forward_hook(lambda module, inputs, output: output)
    assert lean_decoder_for(model) is None  # steering and activation capture hook the layers
    handle.remove()
    assert lean_decoder_for(model) is not None

    class Wrapped(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.config = inner.config

    assert lean_decoder_for(Wrapped(model)) is None
