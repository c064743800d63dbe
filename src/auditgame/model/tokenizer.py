"""A byte-level BPE tokenizer trained on world text, with a chat template.

The template renders ``<|bos|><|system|>...<|end|><|user|>...<|end|><|assistant|>...<|end|>``
and marks assistant content with ``{% generation %}`` so TRL can train on assistant tokens only.
"""

from __future__ import annotations

from collections.abc import Iterable

from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

BOS_TOKEN = "<|bos|>"
EOS_TOKEN = "<|end|>"
PAD_TOKEN = "<|pad|>"
ROLE_TOKENS: tuple[str, ...] = ("<|system|>", "<|user|>", "<|assistant|>")

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "<|assistant|>{% generation %}{{ message['content'] }}<|end|>{% endgeneration %}"
    "{% else %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
"""The chat template of tokenizers trained here (special role tokens)."""

GENERIC_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "### Assistant:\n{% generation %}{{ message['content'] }}{{ eos_token }}{% endgeneration %}\n"
    "{% else %}### {{ message['role'] | capitalize }}:\n{{ message['content'] }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}### Assistant:\n{% endif %}"
)
"""A plain-text template for a foreign tokenizer that has none: it needs no new tokens."""


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4096) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer on ``texts`` and give it the chat template.

    Args:
        texts: World texts (transcripts, documents).
        vocab_size: Vocabulary size, special tokens included.

    Returns:
        A ``PreTrainedTokenizerFast`` that ``save_pretrained`` / ``AutoTokenizer`` round-trip.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    specials = [BOS_TOKEN, EOS_TOKEN, PAD_TOKEN, *ROLE_TOKENS]
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        extra_special_tokens=list(ROLE_TOKENS),
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def ensure_chat_template(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """Give ``tokenizer`` what chat training needs: a template with ``{% generation %}`` marks and a pad token.

    A tokenizer trained here already has both. A foreign tokenizer keeps its own template if that
    marks assistant turns; otherwise it gets :data:`GENERIC_CHAT_TEMPLATE`, which adds no tokens.
    """
    template = tokenizer.chat_template
    if not isinstance(template, str) or "generation" not in template:
        tokenizer.chat_template = GENERIC_CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
