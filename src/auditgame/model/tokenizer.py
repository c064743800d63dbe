"""A byte-level BPE tokenizer trained on world text, with a chat template.

The template renders ``<|bos|><|system|>...<|end|><|user|>...<|end|><|assistant|>...<|end|>``
and marks assistant content with ``{% generation %}`` so TRL can train on assistant tokens only.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

from auditgame.errors import AuditgameWarning, ModelPathError, one_line

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

GENERATION_MARK = re.compile(r"\{%-?\s*generation\s*-?%\}")
"""The ``{% generation %}`` tag itself (``add_generation_prompt`` in a template is not one)."""


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
    marks assistant turns; otherwise it gets :data:`GENERIC_CHAT_TEMPLATE`, which adds no tokens. The
    replacement is announced with an :class:`AuditgameWarning`, since the model then sees conversations
    framed differently from what its files say.

    Raises:
        ModelPathError: if the tokenizer's own template does not render a simple conversation.
    """
    template = tokenizer.chat_template
    source = getattr(tokenizer, "name_or_path", "") or "the tokenizer"
    hint = ""
    if not isinstance(template, str) or not template.strip():
        reason = "has no chat template"
        hint = " (if the model was trained here, its chat_template.jinja is lost: restore it)"
    elif not GENERATION_MARK.search(template):
        broken = _render_error(tokenizer)
        reason = (
            f"has a broken chat template ({broken})"
            if broken
            else "has a chat template that does not mark assistant turns with {% generation %}"
        )
    else:
        reason = ""
        if broken := _render_error(tokenizer):
            raise ModelPathError(
                f"the chat template of {source} does not render a conversation: {broken}",
                "fix chat_template.jinja (or chat_template in tokenizer_config.json), or delete it to use "
                "auditgame's generic template",
            )
    if reason:
        warnings.warn(
            f"{source} {reason}; using auditgame's generic '### User:' template instead{hint}",
            AuditgameWarning,
            stacklevel=2,
        )
        tokenizer.chat_template = GENERIC_CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _render_error(tokenizer: PreTrainedTokenizerBase) -> str:
    """Why the tokenizer's chat template fails on a plain two-turn conversation ("" if it renders)."""
    conversation = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    try:
        tokenizer.apply_chat_template(conversation, tokenize=False)
        tokenizer.apply_chat_template(conversation[:1], tokenize=False, add_generation_prompt=True)
    except Exception as error:  # jinja2 syntax and runtime errors share no narrower base
        return one_line(str(error), 200) or type(error).__name__
    return ""
