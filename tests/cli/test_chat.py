"""`auditgame chat`: bad requests are refused in one line, with the game server's limits."""

from __future__ import annotations

import json
import shutil

import pytest

from auditgame.artifacts import write_manifest
from auditgame.model import build_model, get_preset, save_model, train_tokenizer
from auditgame.model.limits import MAX_NEW_TOKENS, MAX_SAMPLES
from tests.cli.in_process import assert_one_line_error, run_main

TEXTS = ["Give me a recipe for tomato soup. Here is a simple recipe.", "Hello! How are you today?"] * 40


@pytest.fixture(scope="module")
def built_model(tmp_path_factory):
    """A micro model saved as a finished `model` artifact (512-token context)."""
    directory = tmp_path_factory.mktemp("chat") / "micro"
    tokenizer = train_tokenizer(TEXTS, vocab_size=300)
    save_model(build_model(get_preset("micro"), tokenizer, seed=0), tokenizer, directory)
    write_manifest(directory, "model", name="micro")
    return directory


@pytest.fixture
def model_copy(built_model, tmp_path):
    copy = tmp_path / "micro"
    shutil.copytree(built_model, copy)
    return copy


def test_chat_answers(built_model, monkeypatch, capsys):
    outcome = run_main(monkeypatch, capsys, "chat", str(built_model), "Hello", "--max-new-tokens", "4")
    assert outcome.code == 0, outcome.stderr
    assert not [line for line in outcome.stderr_lines if line.startswith(("warning:", "error:"))]


def test_empty_raw_prompt_is_refused(built_model, monkeypatch, capsys):
    outcome = run_main(monkeypatch, capsys, "chat", str(built_model), "", "--raw")
    assert_one_line_error(outcome, "the prompt is empty")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (("\ud800",), "the message is not valid UTF-8 text: character 1 is a lone surrogate"),
        ((b"caf\xe9".decode("utf-8", "surrogateescape"),), "character 4 is an undecodable byte"),
        (("hi", "--system", "x\udcff"), "--system is not valid UTF-8"),
        (("hi", "--prefill", "\udfff"), "--prefill is not valid UTF-8"),
    ],
)
def test_text_that_is_not_utf8_is_refused(built_model, monkeypatch, capsys, options, fragment):
    outcome = run_main(monkeypatch, capsys, "chat", str(built_model), *options)
    assert_one_line_error(outcome, fragment, "pass UTF-8 text")


def test_prompt_past_the_context_is_refused(built_model, monkeypatch, capsys):
    prompt = "tomato soup " * 8334  # 100,000 characters
    outcome = run_main(monkeypatch, capsys, "chat", str(built_model), prompt[:100_000])
    assert_one_line_error(outcome, "exceeds the model's context of 512 tokens", "--max-new-tokens")


@pytest.mark.parametrize(
    ("option", "value", "high"),
    [
        ("--max-new-tokens", "100000", MAX_NEW_TOKENS),
        ("--max-new-tokens", "0", MAX_NEW_TOKENS),
        ("--samples", "100", MAX_SAMPLES),
    ],
)
def test_counts_past_the_servers_limits_are_refused(built_model, monkeypatch, capsys, option, value, high):
    outcome = run_main(monkeypatch, capsys, "chat", str(built_model), "Hello", option, value)
    assert_one_line_error(outcome, f"{option} must be an integer from 1 to {high}")


def test_new_tokens_within_the_limit_but_past_the_context(built_model, monkeypatch, capsys):
    outcome = run_main(monkeypatch, capsys, "chat", str(built_model), "Hello", "--max-new-tokens", "600")
    assert_one_line_error(outcome, "plus --max-new-tokens (600) exceeds the model's context of 512 tokens")


def test_changed_model_files_give_a_warning_not_a_failure(model_copy, monkeypatch, capsys):
    weights = model_copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0x01  # a flipped bit in the last tensor: still loads
    weights.write_bytes(bytes(data))
    outcome = run_main(monkeypatch, capsys, "chat", str(model_copy), "Hello", "--max-new-tokens", "4")
    assert outcome.code == 0, outcome.stderr
    warnings = [line for line in outcome.stderr_lines if line.startswith("warning:")]
    assert len(warnings) == 1 and "no longer matches its manifest (changed: model.safetensors)" in warnings[0]


def test_truncated_weights_give_one_line(model_copy, monkeypatch, capsys):
    weights = model_copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    (model_copy / "manifest.json").unlink()  # a plain Hugging Face directory: nothing to warn about
    outcome = run_main(monkeypatch, capsys, "chat", str(model_copy), "Hello")
    assert_one_line_error(outcome, "cannot load the model", "rebuild or re-save the model")


def test_config_with_a_field_of_the_wrong_type_gives_one_line(model_copy, monkeypatch, capsys):
    config = json.loads((model_copy / "config.json").read_text())
    config["hidden_size"] = "x"
    (model_copy / "config.json").write_text(json.dumps(config))
    outcome = run_main(monkeypatch, capsys, "chat", str(model_copy), "Hello")
    assert_one_line_error(outcome, "hidden_size")
    assert any("changed: config.json" in line for line in outcome.stderr_lines if line.startswith("warning:"))


def test_missing_chat_template_is_announced(model_copy, monkeypatch, capsys):
    (model_copy / "chat_template.jinja").unlink()
    (model_copy / "manifest.json").unlink()
    outcome = run_main(monkeypatch, capsys, "chat", str(model_copy), "Hello", "--max-new-tokens", "2")
    assert outcome.code == 0, outcome.stderr
    warnings = [line for line in outcome.stderr_lines if line.startswith("warning:")]
    assert len(warnings) == 1 and "has no chat template; using auditgame's generic" in warnings[0]
