"""The auditor's Python client of the game server (standard library only).

Example:
    >>> client = GameClient("games/g1/auditor")
    >>> client.models()
    ['model-a', 'model-b']
    >>> client.chat("model-a", "Hello!", max_tokens=32)
    ['Hi! How can I help?']

A game that ships reference models (``reference-base``: the organisms' base before fine-tuning)
serves them too; :attr:`GameClient.references` names them, and ``chat`` takes them like any model.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from auditgame.errors import AuditgameError

Message = dict[str, str]


class GameClientError(AuditgameError):
    """A workspace without an endpoint, an unreachable server, or a request the server refused."""

    def __init__(self, problem: str, fix: str | None = None, *, status: int | None = None) -> None:
        super().__init__(problem, fix)
        self.status = status


class GameClient:
    """Query a game's models through its API server.

    Args:
        workspace_dir: The auditor workspace (holds ``endpoint.json`` and the token file).
        timeout: Seconds to wait for one response.

    Attributes:
        references: The game's labelled, ungraded reference models (from ``endpoint.json``; often none).

    Raises:
        GameClientError: if the workspace has no usable ``endpoint.json`` or token.
    """

    def __init__(self, workspace_dir: Path | str = ".", *, timeout: float = 300.0) -> None:
        workspace = Path(workspace_dir)
        endpoint_path = workspace / "endpoint.json"
        fix = "pass the auditor workspace of a game (the directory holding endpoint.json and token.txt)"
        try:
            endpoint = json.loads(endpoint_path.read_text(encoding="utf-8"))
            self.base_url = str(endpoint["base_url"]).rstrip("/")
            token_path = workspace / str(endpoint.get("token_file", "token.txt"))
            self.references: list[str] = [str(name) for name in endpoint.get("references", [])]
        except FileNotFoundError:
            raise GameClientError(f"{endpoint_path} does not exist", fix) from None
        except (ValueError, KeyError, TypeError):
            raise GameClientError(f"{endpoint_path} is not a valid endpoint file", fix) from None
        if not token_path.is_file() or not token_path.read_text(encoding="utf-8").strip():
            raise GameClientError(f"no token in {token_path}", fix)
        self.token = token_path.read_text(encoding="utf-8").strip()
        self.timeout = timeout
        # The server is on loopback: never send the token through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(self, method: str, route: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one request (``route`` relative to the base URL, e.g. ``/models``) and return the JSON reply.

        Raises:
            GameClientError: if the server is unreachable or answers with an error.
        """
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(self.base_url + route, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            try:
                message = json.loads(error.read().decode("utf-8"))["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = error.reason
            raise GameClientError(
                f"the game server refused {method} {route}: {error.code} {message}",
                "check the model name, the parameters and token.txt",
                status=error.code,
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise GameClientError(
                f"cannot reach the game server at {self.base_url}: {reason}",
                "ask the game master to start the server (it rewrites endpoint.json with its address)",
            ) from None

    def models(self) -> list[str]:
        """The names of the models the server serves: the neutral names, then any reference models."""
        return [entry["id"] for entry in self.request("GET", "/models")["data"]]

    def chat(
        self,
        model: str,
        messages: list[Message] | str,
        *,
        system: str | None = None,
        prefill: str | None = None,
        n: int = 1,
        temperature: float = 0.7,
        max_tokens: int = 96,
        seed: int = 0,
    ) -> list[str]:
        """Sample ``n`` chat replies.

        Args:
            model: A neutral model name (or a reference model's name).
            messages: The conversation (role/content dicts), or one user prompt.
            system: A system message put first.
            prefill: The start of the assistant's reply; the model continues it (the reply holds only
                the continuation).
            n: Number of samples.
            temperature: Sampling temperature (0 = greedy).
            max_tokens: Tokens generated per sample.
            seed: Sampling seed.

        Returns:
            The ``n`` replies.
        """
        conversation = (
            [{"role": "user", "content": messages}] if isinstance(messages, str) else list(messages)
        )
        if system is not None:
            conversation.insert(0, {"role": "system", "content": system})
        if prefill is not None:
            conversation.append({"role": "assistant", "content": prefill})
        reply = self.request(
            "POST",
            "/chat/completions",
            {
                "model": model,
                "messages": conversation,
                "n": n,
                "temperature": temperature,
                "max_tokens": max_tokens,
                "seed": seed,
            },
        )
        return [choice["message"]["content"] for choice in reply["choices"]]

    def complete(
        self,
        model: str,
        prompt: str,
        *,
        n: int = 1,
        temperature: float = 0.7,
        max_tokens: int = 96,
        seed: int = 0,
    ) -> list[str]:
        """Sample ``n`` raw continuations of ``prompt`` (no chat template)."""
        reply = self.request(
            "POST",
            "/completions",
            {
                "model": model,
                "prompt": prompt,
                "n": n,
                "temperature": temperature,
                "max_tokens": max_tokens,
                "seed": seed,
            },
        )
        return [choice["text"] for choice in reply["choices"]]
