"""Policies that act in the environments: a local causal LM, or an OpenAI-compatible chat endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

BASH_CLOSE = "</bash>"


def cut_after_first_command(text: str) -> str:
    """``text`` up to and including its first ``</bash>``: one command block per turn.

    A model that writes a command and then goes on to imagine its output would otherwise answer from
    what it imagined; the sandbox's real output comes back in the next turn instead.
    """
    index = text.find(BASH_CLOSE)
    return text if index < 0 else text[: index + len(BASH_CLOSE)]


class LocalPolicy:
    """A local Hugging Face causal LM (any directory :func:`auditgame.model.loading.load_model` reads).

    Args:
        model_dir: The model's directory.
        temperature: Sampling temperature (0 = greedy).
        max_new_tokens: Longest assistant turn.
        batch_size: Conversations per generation batch.
        seed: Sampling seed; each call advances it, so turns are not sampled with the same noise.
    """

    def __init__(
        self,
        model_dir: str | Path,
        *,
        temperature: float = 1.0,
        max_new_tokens: int = 96,
        batch_size: int = 32,
        seed: int = 0,
    ) -> None:
        from auditgame.model.loading import load_model, load_tokenizer
        from auditgame.model.tokenizer import ensure_chat_template

        self.model_dir = Path(model_dir)
        self.model = load_model(self.model_dir)
        self.tokenizer = ensure_chat_template(load_tokenizer(self.model_dir))
        self.temperature = temperature
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.seed = seed
        self._calls = 0

    def respond(self, conversations: Sequence[list[dict[str, str]]]) -> list[str]:
        """The next assistant message of each conversation (each ends with a user message)."""
        from auditgame.model.generation import GenerationConfig, generate

        if not conversations:
            return []
        config = GenerationConfig(
            max_new_tokens=self.max_new_tokens,
            temperature=self.temperature,
            batch_size=self.batch_size,
            seed=self.seed + 7919 * self._calls,
        )
        self._calls += 1
        answers = generate(self.model, self.tokenizer, list(conversations), config=config)
        return [cut_after_first_command(answer.strip()) for answer in answers]


class EndpointPolicy:
    """An OpenAI-compatible ``/chat/completions`` endpoint, one request per conversation.

    Args:
        base_url: E.g. ``http://127.0.0.1:8000/v1``.
        model: The model name sent with every request.
        temperature: Sampling temperature.
        api_key: Bearer token (``OPENAI_API_KEY`` by default).
    """

    def __init__(
        self, base_url: str, model: str, *, temperature: float = 1.0, api_key: str | None = None
    ) -> None:
        from auditgame.auditors.endpoint import EndpointClient

        self.client = EndpointClient(base_url, model, api_key=api_key, temperature=temperature)

    def respond(self, conversations: Sequence[list[dict[str, str]]]) -> list[str]:
        """The next assistant message of each conversation."""
        replies: list[str] = []
        for messages in conversations:
            message: dict[str, Any] = self.client.complete(list(messages), [])
            replies.append(cut_after_first_command(str(message.get("content") or "").strip()))
        return replies


def load_policy(
    model: str, *, temperature: float = 1.0, max_new_tokens: int = 96, batch_size: int = 32, seed: int = 0
) -> LocalPolicy | EndpointPolicy:
    """A policy for ``model``: a local model directory, or ``openai:<model>@<base_url>`` for an endpoint.

    Raises:
        ConfigError: for a malformed ``openai:`` spec.
        ModelPathError: if ``model`` is not an endpoint spec and not a loadable model directory.
    """
    if model.startswith("openai:"):
        name, _, base_url = model.removeprefix("openai:").partition("@")
        if not name or not base_url:
            from auditgame.errors import ConfigError

            raise ConfigError(
                f"cannot read the endpoint spec {model!r}",
                "write it as openai:<model>@<base_url>, e.g. openai:gpt-4o@http://127.0.0.1:8000/v1",
            )
        return EndpointPolicy(base_url, name, temperature=temperature)
    return LocalPolicy(
        model, temperature=temperature, max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed
    )
