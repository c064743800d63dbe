"""Limits on one generation request, shared by `auditgame chat` and the game's model server.

Both refuse the same requests with the same words: text that is not UTF-8, an empty prompt, more new
tokens or samples than :data:`MAX_NEW_TOKENS` / :data:`MAX_SAMPLES`, and a prompt that with its new
tokens does not fit the model's context.
"""

from __future__ import annotations

from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

from auditgame.errors import GenerationRequestError

MAX_NEW_TOKENS = 1024
"""The most tokens one request may generate (the server's ``max_tokens``, the CLI's ``--max-new-tokens``)."""
MAX_SAMPLES = 16
"""The most answers one request may sample (the server's ``n``, the CLI's ``--samples``)."""


def context_length(model: PreTrainedModel | PretrainedConfig) -> int | None:
    """The most tokens a model attends over (prompt plus answer), or ``None`` if its config does not say.

    Args:
        model: The model, or just its config (to check a request before loading the weights).
    """
    config = model.config if isinstance(model, PreTrainedModel) else model
    return getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None)


def check_text(text: str, what: str = "the prompt") -> None:
    """Refuse ``text`` that cannot be encoded as UTF-8 (a lone surrogate, or a byte the shell could not decode).

    Raises:
        GenerationRequestError: naming the first bad character.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        character = ord(text[error.start])
        kind = "an undecodable byte" if 0xDC80 <= character <= 0xDCFF else "a lone surrogate"
        raise GenerationRequestError(
            f"{what} is not valid UTF-8 text: character {error.start + 1} is {kind} (U+{character:04X})",
            "pass UTF-8 text",
            code="invalid_text",
        ) from None


def check_count(value: int, name: str, high: int) -> None:
    """Refuse a count (new tokens, samples) outside 1 to ``high``.

    Raises:
        GenerationRequestError: ``NAME must be an integer from 1 to HIGH``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise GenerationRequestError(
            f"{name} must be an integer from 1 to {high}, not {value!r}",
            f"pass a value from 1 to {high}",
            code="invalid_value",
        )


def count_prompt_tokens(tokenizer: PreTrainedTokenizerBase, text: str) -> int:
    """How many tokens ``text`` is, as generation feeds it (no special tokens added)."""
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def check_prompt_fits(
    prompt_tokens: int, max_new_tokens: int, context: int | None, *, name: str = "max_new_tokens"
) -> None:
    """Refuse an empty prompt, and a prompt that with ``max_new_tokens`` new tokens exceeds ``context``.

    Args:
        prompt_tokens: The prompt's length in tokens (:func:`count_prompt_tokens`).
        max_new_tokens: The tokens to generate.
        context: The model's context (:func:`context_length`); ``None`` skips that check.
        name: What messages call ``max_new_tokens`` (``max_tokens`` for the API, ``--max-new-tokens``).

    Raises:
        GenerationRequestError: with code ``empty_prompt`` or ``context_length_exceeded``.
    """
    if prompt_tokens == 0:
        raise GenerationRequestError(
            "the prompt is empty: there is no text to continue",
            "give some text for the model to continue",
            code="empty_prompt",
        )
    if context and prompt_tokens + max_new_tokens > context:
        raise GenerationRequestError(
            f"the prompt ({prompt_tokens} tokens) plus {name} ({max_new_tokens}) exceeds the model's "
            f"context of {context} tokens",
            f"shorten the prompt or lower {name}",
            code="context_length_exceeded",
        )
