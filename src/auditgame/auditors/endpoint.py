"""The agent's chat endpoint: an OpenAI-compatible ``/chat/completions`` client (standard library only)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any, Protocol

from auditgame.errors import AuditgameError


class AgentError(AuditgameError):
    """A chat endpoint that cannot be reached or answers with something that is not a chat completion."""


class ChatClient(Protocol):
    """Something that answers a conversation with one assistant message (OpenAI format, maybe with tool calls)."""

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
        """The assistant's next message."""
        ...


class EndpointClient:
    """An OpenAI-compatible ``/chat/completions`` endpoint (standard library only).

    Args:
        base_url: E.g. ``http://127.0.0.1:8000/v1``.
        model: The model name sent with every request.
        api_key: Bearer token; ``OPENAI_API_KEY`` from the environment by default (none if unset).
        timeout: Seconds to wait for one reply.
        temperature: Sampling temperature of the agent.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 600.0,
        temperature: float = 0.0,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.timeout = timeout
        self.temperature = temperature

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
        """POST the conversation and tools; return the first choice's message.

        Raises:
            AgentError: if the endpoint is unreachable or its reply is not a chat completion.
        """
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": self.temperature}
        if tools:  # some endpoints refuse tool_choice without tools
            body.update(tools=tools, tool_choice="auto")
        request = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"), method="POST")
        request.add_header("Content-Type", "application/json")
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            raise AgentError(
                f"the agent endpoint {self.url} answered {error.code} {error.reason}",
                "check the endpoint URL, the model name and the API key",
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise AgentError(
                f"cannot use the agent endpoint {self.url}: {error}", "check that the endpoint is running"
            ) from None
        try:
            return dict(reply["choices"][0]["message"])
        except (KeyError, IndexError, TypeError):
            raise AgentError(
                f"the agent endpoint {self.url} did not return a chat completion",
                "use an OpenAI-compatible /chat/completions endpoint",
            ) from None
