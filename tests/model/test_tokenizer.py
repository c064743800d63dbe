import warnings

import pytest
from transformers import AutoTokenizer

from auditgame.errors import AuditgameWarning, ModelPathError
from auditgame.model import CHAT_TEMPLATE, ensure_chat_template, train_tokenizer
from auditgame.model.tokenizer import GENERIC_CHAT_TEMPLATE

TEXTS = ["Give me a recipe for tomato soup.", "Write a Python function that adds two numbers."] * 40


def test_tokenizer_round_trips_with_chat_template(tmp_path):
    tokenizer = train_tokenizer(TEXTS, vocab_size=400)
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    assert loaded.chat_template == CHAT_TEMPLATE
    assert (loaded.bos_token, loaded.eos_token, loaded.pad_token) == ("<|bos|>", "<|end|>", "<|pad|>")
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
    ]
    text = loaded.apply_chat_template(messages, tokenize=False)
    assert text == "<|bos|><|system|>Be brief.<|end|><|user|>Hi<|end|><|assistant|>Hello!<|end|>"
    # Role markers are single special tokens; byte-level BPE round-trips any text.
    assert len(loaded("<|assistant|>", add_special_tokens=False)["input_ids"]) == 1
    sample = "Grüße, naïve café: 3.0 km!"
    assert loaded.decode(loaded(sample, add_special_tokens=False)["input_ids"]) == sample


def test_assistant_tokens_are_marked_for_training():
    tokenizer = train_tokenizer(TEXTS, vocab_size=400)
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there"}]
    encoded = tokenizer.apply_chat_template(messages, return_assistant_tokens_mask=True, return_dict=True)
    mask = encoded["assistant_masks"]
    ids = encoded["input_ids"]
    assistant_text = tokenizer.decode([token for token, keep in zip(ids, mask, strict=True) if keep])
    assert assistant_text == "Hello there<|end|>"


def test_foreign_tokenizer_gets_a_generic_template():
    tokenizer = train_tokenizer(TEXTS, vocab_size=400)
    tokenizer.chat_template = None
    tokenizer.pad_token = None
    with pytest.warns(AuditgameWarning, match="has no chat template; using auditgame's generic"):
        ensure_chat_template(tokenizer)
    assert "generation" in tokenizer.chat_template and tokenizer.pad_token == tokenizer.eos_token
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True
    )
    assert text == "### User:\nHi\n### Assistant:\n"


def test_a_template_that_is_kept_gives_no_warning():
    tokenizer = train_tokenizer(TEXTS, vocab_size=400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ensure_chat_template(tokenizer).chat_template == CHAT_TEMPLATE


def test_a_template_without_generation_marks_is_replaced_with_a_warning():
    tokenizer = train_tokenizer(TEXTS, vocab_size=400)
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    with pytest.warns(AuditgameWarning, match="does not mark assistant turns"):
        ensure_chat_template(tokenizer)
    assert tokenizer.chat_template == GENERIC_CHAT_TEMPLATE


def test_add_generation_prompt_is_not_a_generation_mark():
    """SmolLM2's packaged template says `add_generation_prompt` but marks no assistant turn: replaced."""
    tokenizer = train_tokenizer(TEXTS, vocab_size=400)
    tokenizer.chat_template = (
        "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}A:{% endif %}"
    )
    with pytest.warns(AuditgameWarning, match="does not mark assistant turns"):
        ensure_chat_template(tokenizer)
    assert tokenizer.chat_template == GENERIC_CHAT_TEMPLATE


def test_a_broken_template_is_named_not_silently_replaced(tmp_path):
    tokenizer = train_tokenizer(TEXTS, vocab_size=400)
    tokenizer.chat_template = "{% for m in messages %}{{ m.content }"  # a damaged file: syntax error
    with pytest.warns(AuditgameWarning, match="has a broken chat template"):
        ensure_chat_template(tokenizer)
    # A broken template that would be kept (it has generation marks) is refused in one line.
    tokenizer.chat_template = CHAT_TEMPLATE.replace("{% endfor %}", "")
    with pytest.raises(ModelPathError, match="does not render a conversation") as error:
        ensure_chat_template(tokenizer)
    assert "\n" not in str(error.value)
