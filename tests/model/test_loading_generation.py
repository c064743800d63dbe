import pytest
import torch

from auditgame.errors import ModelPathError, UnknownNameError
from auditgame.model import (
    GenerationConfig,
    apply_lora,
    build_model,
    count_parameters,
    format_chat,
    generate,
    get_preset,
    load_model,
    load_tokenizer,
    lora_target_modules,
    save_model,
    train_tokenizer,
)

TEXTS = ["Give me a recipe for tomato soup. Here is a simple recipe.", "Hello! How are you today?"] * 40


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(TEXTS, vocab_size=300)


@pytest.fixture(scope="module")
def model(tokenizer):
    return build_model(get_preset("micro"), tokenizer, seed=0)


def test_presets(tokenizer):
    with pytest.raises(UnknownNameError, match="unknown preset"):
        get_preset("gigantic")
    tiny = build_model(get_preset("tiny"), tokenizer, seed=0)
    assert tiny.config.model_type == "llama" and tiny.config.hidden_size == 256
    per_layer = 4 * 256 * 256 + 3 * 256 * 1024 + 2 * 256  # attention, MLP, norms
    assert count_parameters(tiny) == 4 * per_layer + 300 * 256 + 256  # tied embeddings counted once
    again = build_model(get_preset("tiny"), tokenizer, seed=0)
    assert torch.equal(tiny.model.layers[0].mlp.up_proj.weight, again.model.layers[0].mlp.up_proj.weight)


def test_format_chat(tokenizer):
    text = format_chat(tokenizer, "Hi", system="Be brief.", prefill="Sure,")
    assert text == "<|bos|><|system|>Be brief.<|end|><|user|>Hi<|end|><|assistant|>Sure,"
    assert format_chat(tokenizer, "Once upon", raw=True) == "Once upon"


def test_generate_is_seeded_batched_and_returns_only_new_text(model, tokenizer):
    config = GenerationConfig(max_new_tokens=6, temperature=1.0, batch_size=2, seed=3)
    prompts = ["Hi", "Give me a recipe for soup", "Hello"]
    first = generate(model, tokenizer, prompts, config=config)
    assert len(first) == 3 and first == generate(model, tokenizer, prompts, config=config)
    greedy = GenerationConfig(max_new_tokens=6, temperature=0.0)
    # Greedy answers do not depend on the batch a prompt lands in (left padding is masked).
    alone = generate(model, tokenizer, ["Hi"], config=greedy)
    together = generate(model, tokenizer, ["Hi", "Give me a recipe for tomato soup please"], config=greedy)
    assert alone[0] == together[0]
    assert tokenizer.padding_side == "right"  # restored after generation


def test_generate_restores_training_mode(model, tokenizer):
    model.train()
    generate(model, tokenizer, ["Hi"], prefill="Hello", config=GenerationConfig(max_new_tokens=2))
    assert model.training


def test_save_and_load_merges_lora(tmp_path, tokenizer):
    base = build_model(get_preset("micro"), tokenizer, seed=1)
    assert set(lora_target_modules(base)) == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    adapted = apply_lora(base, 4)
    trainable = sum(p.numel() for p in adapted.parameters() if p.requires_grad)
    assert 0 < trainable < count_parameters(adapted) / 5
    with torch.no_grad():  # make the adapters matter
        for name, parameter in adapted.named_parameters():
            if "lora_B" in name:
                parameter.fill_(0.01)
    ids = torch.tensor([[1, 5, 9, 12]])
    expected = adapted(ids).logits
    save_model(adapted, tokenizer, tmp_path / "merged")
    loaded = load_model(tmp_path / "merged")
    assert not any("lora" in name for name, _ in loaded.named_parameters())
    assert torch.allclose(loaded(ids).logits, expected, atol=1e-4)
    assert load_tokenizer(tmp_path / "merged").chat_template == tokenizer.chat_template


def test_lora_targets_gpt2_conv1d(tokenizer):
    from transformers import AutoModelForCausalLM, GPT2Config

    gpt2 = AutoModelForCausalLM.from_config(
        GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=len(tokenizer))
    )
    assert set(lora_target_modules(gpt2)) == {"c_attn", "c_proj", "c_fc"}
    apply_lora(gpt2, 2)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "missing", "does not exist"),
        (lambda root: root, "config.json is missing"),
        (lambda root: (root / "file.txt").write_text("x") and root / "file.txt", "is a file"),
    ],
)
def test_bad_model_paths_give_one_clear_error(tmp_path, make, message):
    with pytest.raises(ModelPathError, match=message):
        load_model(make(tmp_path))


def test_model_without_weights_or_corrupt_config(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelPathError, match="corrupt model config"):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    with pytest.raises(ModelPathError, match="no model weights"):
        load_model(tmp_path)
    with pytest.raises(ModelPathError, match="tokenizer"):
        load_tokenizer(tmp_path / "nowhere")


@pytest.fixture
def saved_model(tmp_path, tokenizer):
    directory = tmp_path / "saved"
    save_model(build_model(get_preset("micro"), tokenizer, seed=0), tokenizer, directory)
    return directory


def test_truncated_weights_give_one_clear_error(saved_model):
    weights = saved_model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelPathError, match=r"cannot load the model .*corrupt or incomplete") as error:
        load_model(saved_model)
    assert "\n" not in str(error.value) and "rebuild or re-save" in str(error.value)


def test_config_field_of_the_wrong_type_gives_one_clear_error(saved_model):
    import json

    config = json.loads((saved_model / "config.json").read_text())
    config["hidden_size"] = "x"
    (saved_model / "config.json").write_text(json.dumps(config))
    for load in (load_tokenizer, load_model):
        with pytest.raises(ModelPathError, match="hidden_size") as error:
            load(saved_model)
        assert "\n" not in str(error.value)
