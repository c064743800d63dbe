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
import math
import time
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


MAX_RETRY_WAIT = 30.0
"""The longest ``Retry-After`` wait the client honours (seconds)."""


class _BusyError(Exception):
    """A 503 the client may retry after ``retry_after`` seconds."""

    def __init__(self, error: GameClientError, retry_after: float) -> None:
        super().__init__(str(error))
        self.error, self.retry_after = error, retry_after


def _retry_after(header: str) -> float:
    try:
        seconds = float(header)
    except ValueError:  # an HTTP date, or garbage: wait a second
        return 1.0
    return min(max(seconds, 0.0), MAX_RETRY_WAIT) if math.isfinite(seconds) else 1.0


class GameClient:
    """Query a game's models through its API server.

    Args:
        workspace_dir: The auditor workspace (holds ``endpoint.json`` and the token file).
        timeout: Seconds to wait for one response.
        retries: How many times a request refused with 503 (the server is busy) is sent again, after the
            wait its ``Retry-After`` header asks for (at most :data:`MAX_RETRY_WAIT` seconds).

    Attributes:
        references: The game's labelled, ungraded reference models (from ``endpoint.json``; often none).

    Raises:
        GameClientError: if the workspace has no usable ``endpoint.json`` or token.
    """

    def __init__(self, workspace_dir: Path | str = ".", *, timeout: float = 300.0, retries: int = 3) -> None:
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
        self.retries = max(0, retries)
        # The server is on loopback: never send the token through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(self, method: str, route: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one request (``route`` relative to the base URL, e.g. ``/models``) and return the JSON reply.

        A 503 (the server's queue is full) is retried up to ``retries`` times, after the server's
        ``Retry-After``.

        Raises:
            GameClientError: if the server is unreachable, does not answer in time, or answers with an error.
        """
        for attempt in range(self.retries + 1):
            try:
                return self._send(method, route, payload)
            except _BusyError as busy:
                if attempt == self.retries:
                    raise busy.error from None
                time.sleep(busy.retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, route: str, payload: dict[str, Any] | None) -> dict[str, Any]:
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
            except (ValueError, KeyError, TypeError, OSError):
                message = error.reason
            refused = GameClientError(
                f"the game server refused {method} {route}: {error.code} {message}",
                "retry later: the server is busy"
                if error.code == 503
                else "check the model name, the parameters and token.txt",
                status=error.code,
            )
            retry_after = error.headers.get("Retry-After") if error.code == 503 else None
            if retry_after is not None:  # busy, not broken: a 503 without Retry-After is not retried
                raise _BusyError(refused, _retry_after(retry_after)) from None
            raise refused from None
        except TimeoutError:
            raise GameClientError(
                f"the game server at {self.base_url} did not answer {method} {route} within {self.timeout:g} s",
                "ask for fewer tokens or samples, or pass a longer timeout",
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise GameClientError(
                f"cannot reach the game server at {self.base_url}: {reason}",
                "ask the game master to start the server (it rewrites endpoint.json with its address)",
            ) from None
        except ValueError:
            raise GameClientError(
                f"the game server at {self.base_url} sent a reply that is not JSON",
                "check that endpoint.json points at the game server",
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
