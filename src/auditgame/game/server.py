"""The game's API server: the game's models behind an OpenAI-compatible HTTP API on loopback.

Auditors of every tier may query the models through this server, knowing them only by their neutral
names (``model-a``, ...), and the game's labelled reference models (``reference-base``) if it ships
any. The server reads ``<game>/master/spec.json`` for the name → model directory mapping and
``<game>/auditor/token.txt`` for the bearer token. It serves exactly three routes and never a file:

* ``GET /v1/models`` — the neutral names, then the reference names;
* ``POST /v1/chat/completions`` — ``messages`` (system messages too; a final ``assistant`` message
  is a prefill the model continues, and the reply holds only the continuation), ``n``,
  ``temperature`` (0 = greedy), ``max_tokens``, ``seed``;
* ``POST /v1/completions`` — a raw ``prompt`` continued without the chat template.

Errors follow the OpenAI shape ``{"error": {"message", "type", "code"}}``: 401 for a missing or
wrong token, 404 for an unknown route or model, 400 for malformed JSON, a bad ``Content-Length`` or bad
parameters, 408 for a request not received within the read timeout, 413 for a body over
:data:`MAX_BODY_BYTES`, 503 with ``Retry-After`` when the queue is full or a generation ran past its timeout.

Under load (see :class:`ServerLimits`): every connection has a thread, up to ``max_connections`` (more are
answered 503 at once); a request must arrive whole within ``read_timeout``; generation requests wait in a
bounded queue, and one worker samples every waiting request of a model in one batch
(:mod:`auditgame.game.batching`). A request whose client disconnects is cancelled, and so is one that runs
past ``generation_timeout``. Client disconnects are logged in one line, never as a traceback.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import re
import selectors
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditgame.artifacts import atomic_write_json
from auditgame.errors import AuditgameError
from auditgame.game.batching import (
    BatcherStoppedError,
    GenerationBatcher,
    GenerationJob,
    LoadedModel,
    QueueFullError,
)
from auditgame.loopback import is_loopback
from auditgame.model.limits import MAX_NEW_TOKENS, MAX_SAMPLES

SPEC_PATH = Path("master") / "spec.json"
TOKEN_PATH = Path("auditor") / "token.txt"
ENDPOINT_PATH = Path("auditor") / "endpoint.json"
MAX_BODY_BYTES = 1 << 20
MAX_N = MAX_SAMPLES  # shared with `auditgame chat` (auditgame.model.limits)
MAX_TOKENS = MAX_NEW_TOKENS
DEFAULT_MAX_TOKENS = 96
_ROLES = ("system", "user", "assistant")
_CONTENT_LENGTH = re.compile(r"[0-9]{1,19}")
_DISCONNECT_POLL_SECONDS = 0.1
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 8 * MAX_BODY_BYTES
_CONTROL_CHARACTERS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}


class ServerLimits(BaseModel):
    """How much load the server takes, and how long it waits for slow or silent clients."""

    model_config = ConfigDict(extra="forbid")

    read_timeout: float = Field(default=10.0, gt=0)
    """Seconds a client has to send a whole request (line, headers and body) and to read its reply; also how
    long an idle keep-alive connection stays open."""
    generation_timeout: float = Field(default=120.0, gt=0)
    """Seconds a generation request may wait in the queue and generate before it is abandoned (503)."""
    queue_size: int = Field(default=64, ge=1)
    """Generation requests that may wait for a batch; more are refused with 503 and ``Retry-After``."""
    max_batch_rows: int = Field(default=32, ge=MAX_N)
    """Sequences sampled together in one batch (a request with ``n`` samples counts ``n``)."""
    max_connections: int = Field(default=128, ge=1)
    """Connections served at once (one thread each); more are answered 503 and closed."""
    listen_backlog: int = Field(default=128, ge=1)
    """Connections the kernel holds before the server accepts them."""
    retry_after: int = Field(default=2, ge=1)
    """Seconds a refused client is told to wait (the ``Retry-After`` header)."""

    @model_validator(mode="after")
    def _queue_fits_connections(self) -> ServerLimits:
        if self.queue_size > self.max_connections:
            raise ValueError("queue_size cannot exceed max_connections (each waiting request holds one)")
        return self


class ServerStats(NamedTuple):
    """Counters of a running server (see :attr:`GameServer.stats`)."""

    active_connections: int
    refused_connections: int
    """Connections answered 503 because ``max_connections`` were open."""
    batches: int
    rows: int
    decode_steps: int
    completed: int
    cancelled: int
    """Generation requests cancelled because their client went away."""
    timed_out: int
    queue_full: int
    """Generation requests refused with 503 because the queue was full."""
    failed: int
    queued: int
    running: int


class GameServerError(AuditgameError):
    """A game directory the server cannot serve, or a non-loopback address."""


class RequestError(Exception):
    """A request the server refuses: an HTTP status and a message for the client."""

    def __init__(
        self, status: HTTPStatus, message: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = headers or {}


class _ClientGoneError(Exception):
    """The client closed its connection before its reply was ready."""


def read_model_dirs(game_dir: Path) -> dict[str, Path]:
    """The neutral name → model directory mapping of ``<game>/master/spec.json``.

    Raises:
        GameServerError: if the spec is missing or malformed.
    """
    spec_path = Path(game_dir) / SPEC_PATH
    fix = "pass the directory written by game creation (it holds master/spec.json)"
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        models = spec["models"]
        return {
            str(name): Path(entry if isinstance(entry, str) else entry["model_dir"])
            for name, entry in models.items()
        }
    except FileNotFoundError:
        raise GameServerError(f"{spec_path} does not exist", fix) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise GameServerError(f"{spec_path} is not a valid game spec", fix) from None


def read_reference_dirs(game_dir: Path) -> dict[str, Path]:
    """The reference name → model directory mapping of ``<game>/master/spec.json`` (empty if it has none).

    Raises:
        GameServerError: if the spec is missing or malformed.
    """
    spec_path = Path(game_dir) / SPEC_PATH
    fix = "pass the directory written by game creation (it holds master/spec.json)"
    try:
        references = json.loads(spec_path.read_text(encoding="utf-8")).get("references", {})
        return {str(name): Path(entry["model_dir"]) for name, entry in references.items()}
    except FileNotFoundError:
        raise GameServerError(f"{spec_path} does not exist", fix) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise GameServerError(f"{spec_path} is not a valid game spec", fix) from None


def read_token(game_dir: Path) -> str:
    """The bearer token of ``<game>/auditor/token.txt``.

    Raises:
        GameServerError: if it is missing or empty.
    """
    token_path = Path(game_dir) / TOKEN_PATH
    token = token_path.read_text(encoding="utf-8").strip() if token_path.is_file() else ""
    if not token:
        raise GameServerError(
            f"no token in {token_path}", "recreate the game; its auditor workspace is incomplete"
        )
    return token


class _ModelPool:
    """Lazily loaded models by neutral name; loading is serialised, generation goes through the batcher.

    ``model_dirs`` holds every served model (graded and reference); ``names`` lists them in the order
    ``/v1/models`` shows: the graded ones, then the references.
    """

    def __init__(
        self,
        model_dirs: dict[str, Path],
        log: Callable[[str], Any],
        references: dict[str, Path] | None = None,
    ) -> None:
        self.names = sorted(model_dirs) + sorted(references or {})
        self.model_dirs = {**(references or {}), **model_dirs}
        self._load_lock = threading.Lock()
        self._loaded: dict[str, LoadedModel] = {}
        self._log = log

    def get(self, name: str) -> LoadedModel:
        """The loaded model ``name`` (loaded on first use).

        Raises:
            RequestError: 503 if it cannot be loaded.
        """
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        with self._load_lock:
            if name not in self._loaded:
                self._loaded[name] = self._load(name)
            return self._loaded[name]

    def _load(self, name: str) -> LoadedModel:
        from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
        from auditgame.model.tokenizer import ensure_chat_template

        try:
            directory = resolve_model_dir(self.model_dirs[name])
            tokenizer = ensure_chat_template(load_tokenizer(directory))
            model = load_model(directory).eval()
        except AuditgameError as error:
            self._log(f"cannot load {name}: {error}")
            # The message names master paths: the client only learns that the model is unavailable.
            raise RequestError(
                HTTPStatus.SERVICE_UNAVAILABLE, f"model {name!r} is unavailable", "model_unavailable"
            ) from None
        context = getattr(model.config, "n_positions", None) or getattr(
            model.config, "max_position_embeddings", None
        )
        return LoadedModel(model, tokenizer, context, threading.Lock())

    def render_chat(self, name: str, messages: list[dict[str, str]]) -> str:
        """The text the model continues for ``messages`` (a final assistant message is a prefill)."""
        loaded = self.get(name)
        prefill = ""
        if messages[-1]["role"] == "assistant":
            prefill, messages = messages[-1]["content"], messages[:-1]
        if not messages:
            raise RequestError(
                HTTPStatus.BAD_REQUEST, "messages must hold more than a prefill", "invalid_messages"
            )
        with loaded.lock:
            rendered = loaded.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
        return rendered + prefill

    def job(self, name: str, text: str, *, deadline: float, **sampling: Any) -> GenerationJob:
        """A generation job for ``text``, refused if the prompt plus ``max_tokens`` exceed the context.

        Raises:
            RequestError: 400 ``context_length_exceeded``.
        """
        loaded = self.get(name)
        with loaded.lock:
            prompt_ids = list(loaded.tokenizer(text, add_special_tokens=False)["input_ids"])
        max_tokens = sampling["max_tokens"]
        if loaded.context and len(prompt_ids) + max_tokens > loaded.context:
            raise RequestError(
                HTTPStatus.BAD_REQUEST,
                f"the prompt ({len(prompt_ids)} tokens) plus max_tokens ({max_tokens}) exceeds the model's "
                f"context of {loaded.context} tokens",
                "context_length_exceeded",
            )
        return GenerationJob(
            model=name, prompt_ids=prompt_ids, deadline=deadline, context=loaded.context, **sampling
        )


def _integer(body: dict, key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RequestError(
            HTTPStatus.BAD_REQUEST, f"{key} must be an integer from {low} to {high}", "invalid_value"
        )
    return value


def _sampling(body: dict) -> dict[str, Any]:
    temperature = body.get("temperature", 1.0)
    temperature = 1.0 if temperature is None else temperature
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float))
        or not 0 <= temperature <= 5
    ):
        raise RequestError(
            HTTPStatus.BAD_REQUEST, "temperature must be a number from 0 to 5", "invalid_value"
        )
    return {
        "n": _integer(body, "n", 1, 1, MAX_N),
        "temperature": float(temperature),
        "max_tokens": _integer(body, "max_tokens", DEFAULT_MAX_TOKENS, 1, MAX_TOKENS),
        "seed": _integer(body, "seed", 0, 0, 2**31 - 1),
    }


def _content(message: Any) -> dict[str, str]:
    if not isinstance(message, dict) or message.get("role") not in _ROLES:
        raise RequestError(
            HTTPStatus.BAD_REQUEST, f"each message needs a role among {', '.join(_ROLES)}", "invalid_messages"
        )
    content = message.get("content")
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        parts = [
            part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text"
        ]
        content = "".join(part for part in parts if isinstance(part, str))
    if not isinstance(content, str):
        raise RequestError(HTTPStatus.BAD_REQUEST, "each message needs a string content", "invalid_messages")
    return {"role": message["role"], "content": content}


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _parse_json(raw: bytes) -> dict:
    """The JSON object of a request body.

    Raises:
        RequestError: 400 for invalid UTF-8, invalid or too deeply nested JSON, a lone surrogate, or a body
            that is not an object.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(HTTPStatus.BAD_REQUEST, "the body is not valid UTF-8", "invalid_json") from None
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise RequestError(HTTPStatus.BAD_REQUEST, "the body is nested too deeply", "invalid_json") from None
    except ValueError:
        raise RequestError(HTTPStatus.BAD_REQUEST, "the body is not valid JSON", "invalid_json") from None
    if not isinstance(body, dict):
        raise RequestError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object", "invalid_json")
    # "\ud800" is valid JSON but not Unicode text: no tokenizer can encode it. Walk without recursion.
    pending: list[Any] = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise RequestError(
                    HTTPStatus.BAD_REQUEST,
                    "the body holds a string with a lone surrogate (such as \\ud800), which is not text",
                    "invalid_unicode",
                ) from None
    return body


class _DeadlineSocketReader(io.RawIOBase):
    """Reads a socket so that a whole request must arrive before its handler's deadline.

    A per-read timeout alone lets a client that sends one byte every few seconds hold a thread forever.
    """

    def __init__(self, connection: socket.socket, handler: _Handler) -> None:
        super().__init__()
        self._connection, self._handler = connection, handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self._handler.read_deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive within the read timeout")
        self._connection.settimeout(remaining)
        count = self._connection.recv_into(buffer)
        self._handler.bytes_received += count
        return count


class _Handler(BaseHTTPRequestHandler):
    server: _GameHTTPServer
    server_version = "auditgame"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    # -- plumbing -------------------------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        self.read_deadline = time.monotonic() + self.server.limits.read_timeout
        self.bytes_received = 0
        # Close the stock reader first: an open makefile() keeps the socket's descriptor alive after close().
        self.rfile.close()
        self.rfile = io.BufferedReader(_DeadlineSocketReader(self.connection, self))

    def handle_one_request(self) -> None:
        self.read_deadline = time.monotonic() + self.server.limits.read_timeout
        self.bytes_received = 0
        self._answered = False
        # What log_request and send_response read, in case the request line never arrives whole.
        self.requestline, self.request_version, self.command = "", "HTTP/1.1", ""
        super().handle_one_request()
        if self.close_connection and self.bytes_received and not self._answered:
            # A request cut short by the read timeout (not an idle keep-alive connection): say so.
            self._error(
                RequestError(
                    HTTPStatus.REQUEST_TIMEOUT,
                    f"the request did not arrive within {self.server.limits.read_timeout:g} s",
                    "request_timeout",
                )
            )

    def log_message(self, format: str, *args: Any) -> None:
        # The request line is the client's: escape control characters so it cannot forge log lines.
        self.server.log(f"{self.address_string()} {(format % args).translate(_CONTROL_CHARACTERS)}")

    def send_response(self, code: int, message: str | None = None) -> None:
        self._answered = True
        super().send_response(code, message)

    def _send(self, status: HTTPStatus, payload: dict, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode("utf-8")
        try:
            # A client that never reads its reply must not hold the thread either.
            self.connection.settimeout(self.server.limits.read_timeout)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status == HTTPStatus.UNAUTHORIZED:
                self.send_header("WWW-Authenticate", "Bearer")
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except (ConnectionError, TimeoutError) as error:
            self.close_connection = True
            self.server.log(f"{self.address_string()} went away before its reply: {error.__class__.__name__}")

    def _error(self, error: RequestError) -> None:
        if error.status == HTTPStatus.UNAUTHORIZED:
            kind = "authentication_error"
        elif error.status >= 500:
            kind = "server_error"
        else:
            kind = "invalid_request_error"
        payload = {"error": {"message": error.message, "type": kind, "code": error.code}}
        self._send(error.status, payload, error.headers)

    def _busy(self, message: str, code: str) -> RequestError:
        retry_after = str(self.server.limits.retry_after)
        return RequestError(HTTPStatus.SERVICE_UNAVAILABLE, message, code, {"Retry-After": retry_after})

    def _authorise(self) -> None:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode("utf-8"), self.server.token.encode("utf-8")
        ):
            raise RequestError(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token", "invalid_api_key")

    def _body(self) -> dict:
        if self.headers.get("Transfer-Encoding") is not None:
            raise RequestError(
                HTTPStatus.BAD_REQUEST,
                "Transfer-Encoding is not supported: send the JSON body with a Content-Length header",
                "invalid_content_length",
            )
        values = {value.strip() for value in self.headers.get_all("Content-Length", [])}
        if not values:
            raise RequestError(
                HTTPStatus.BAD_REQUEST, "a JSON body with a Content-Length header is required", "no_body"
            )
        if len(values) > 1 or not _CONTENT_LENGTH.fullmatch(next(iter(values))):
            shown = ", ".join(sorted(value[:20] for value in values))
            raise RequestError(
                HTTPStatus.BAD_REQUEST,
                f"Content-Length must be one non-negative integer (got {shown!r})",
                "invalid_content_length",
            )
        length = int(next(iter(values)))
        if length > MAX_BODY_BYTES:
            raise RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the body is {length} bytes; the limit is {MAX_BODY_BYTES} bytes",
                "too_large",
            )
        try:
            raw = self.rfile.read(length)
        except TimeoutError:
            raise RequestError(
                HTTPStatus.REQUEST_TIMEOUT,
                f"the request body did not arrive within {self.server.limits.read_timeout:g} s",
                "request_timeout",
            ) from None
        if len(raw) < length:
            raise _ClientGoneError
        self._body_read = True
        return _parse_json(raw)

    def _model(self, body: dict) -> str:
        name = body.get("model")
        if not isinstance(name, str):
            raise RequestError(HTTPStatus.BAD_REQUEST, "model must be a string", "invalid_model")
        if name not in self.server.pool.model_dirs:
            raise RequestError(HTTPStatus.NOT_FOUND, f"no model named {name[:64]!r}", "model_not_found")
        return name

    def _route(self) -> str:
        return self.path.split("?", 1)[0]

    def _handle(self, method: str) -> None:
        self._body_read = method == "GET"
        try:
            self._authorise()
            route = self._route()
            if method == "GET" and route == "/v1/models":
                payload = self._list_models()
            elif method == "POST" and route == "/v1/chat/completions":
                payload = self._chat(self._body())
            elif method == "POST" and route == "/v1/completions":
                payload = self._completion(self._body())
            else:
                raise RequestError(HTTPStatus.NOT_FOUND, "no such route", "not_found")
            self._send(HTTPStatus.OK, payload)
        except _ClientGoneError:
            self.close_connection, self._answered = True, True  # nobody is left to answer
            self.server.log(f"{self.address_string()} went away; its request was cancelled")
        except RequestError as error:
            self.close_connection = True
            self._error(error)
            self._discard_unread_body()
        except Exception as error:  # a bug must not kill the server or leak a traceback to the client
            self.server.log(f"internal error on {self.command} {self.path[:100]}: {error!r}")
            self.close_connection = True
            self._error(RequestError(HTTPStatus.INTERNAL_SERVER_ERROR, "internal server error", "internal"))

    def _discard_unread_body(self) -> None:
        """Read (for a bounded time) what the client still sends, so closing does not reset the connection.

        Closing a socket with unread input makes the kernel send a reset, which can destroy the error reply
        before the client reads it (a 413 for a 5 MB body would become "connection reset").
        """
        if self._body_read:
            return
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
            deadline, discarded = time.monotonic() + _LINGER_SECONDS, 0
            while discarded < _LINGER_BYTES and (remaining := deadline - time.monotonic()) > 0:
                self.connection.settimeout(remaining)
                chunk = self.connection.recv(1 << 16)
                if not chunk:
                    break
                discarded += len(chunk)

    def _client_gone(self, selector: selectors.BaseSelector) -> bool:
        """Whether the client closed its side of the connection (without blocking)."""
        try:
            if not selector.select(timeout=0):
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _generate(self, job: GenerationJob) -> GenerationJob:
        """Queue ``job``, wait for it, and cancel it if the client goes away or it runs past its deadline."""
        batcher = self.server.batcher
        try:
            batcher.submit(job)
        except QueueFullError:
            raise self._busy(
                f"the server is busy: {batcher.queue_size} requests are already waiting", "server_busy"
            ) from None
        except BatcherStoppedError:
            raise self._busy("the server is shutting down", "shutting_down") from None
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            while not job.wait(_DISCONNECT_POLL_SECONDS):
                if self._client_gone(selector):
                    batcher.cancel(job, "cancelled")
                    raise _ClientGoneError
                # The worker enforces the deadline between decoding steps; this covers a stuck step.
                if time.monotonic() > job.deadline + 1.0:
                    batcher.cancel(job, "timeout")
                    break
        if job.outcome == "done":
            return job
        if job.outcome == "timeout":
            raise self._busy(
                f"the generation did not finish within {self.server.limits.generation_timeout:g} s",
                "timeout",
            )
        if job.outcome == "shutdown":
            raise self._busy("the server is shutting down", "shutting_down")
        raise RequestError(HTTPStatus.INTERNAL_SERVER_ERROR, "internal server error", "internal")

    def _sample(self, name: str, text: str, sampling: dict[str, Any]) -> dict[str, Any]:
        deadline = time.monotonic() + self.server.limits.generation_timeout
        job = self._generate(self.server.pool.job(name, text, deadline=deadline, **sampling))
        prompt_tokens = len(job.prompt_ids)
        return {
            "texts": job.texts,
            "finish_reasons": job.finish_reasons,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": job.completion_tokens,
                "total_tokens": prompt_tokens + job.completion_tokens,
            },
        }

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- routes ---------------------------------------------------------------------------------
    def _list_models(self) -> dict:
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "auditgame"}
                for name in self.server.pool.names
            ],
        }

    def _chat(self, body: dict) -> dict:
        name = self._model(body)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise RequestError(
                HTTPStatus.BAD_REQUEST, "messages must be a non-empty list", "invalid_messages"
            )
        messages = [_content(message) for message in messages]
        sampling = _sampling(body)
        result = self._sample(name, self.server.pool.render_chat(name, messages), sampling)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": name,
            "choices": [
                {"index": index, "message": {"role": "assistant", "content": output}, "finish_reason": reason}
                for index, (output, reason) in enumerate(
                    zip(result["texts"], result["finish_reasons"], strict=True)
                )
            ],
            "usage": result["usage"],
        }

    def _completion(self, body: dict) -> dict:
        name = self._model(body)
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            prompt = prompt[0]
        if not isinstance(prompt, str) or not prompt:
            raise RequestError(HTTPStatus.BAD_REQUEST, "prompt must be a non-empty string", "invalid_prompt")
        result = self._sample(name, prompt, _sampling(body))
        return {
            "id": f"cmpl-{uuid.uuid4().hex}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": name,
            "choices": [
                {"index": index, "text": output, "finish_reason": reason, "logprobs": None}
                for index, (output, reason) in enumerate(
                    zip(result["texts"], result["finish_reasons"], strict=True)
                )
            ],
            "usage": result["usage"],
        }


_BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: %d\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
)


class _GameHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        pool: _ModelPool,
        token: str,
        log: Callable[[str], Any],
        limits: ServerLimits,
    ) -> None:
        self.pool, self.token, self.log, self.limits = pool, token, log, limits
        self.request_queue_size = limits.listen_backlog
        self.batcher = GenerationBatcher(
            pool.get, queue_size=limits.queue_size, max_batch_rows=limits.max_batch_rows, log=log
        )
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self._connections_lock = threading.Lock()
        self.active_connections = self.refused_connections = 0
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with self._connections_lock:
                self.refused_connections += 1
            self._refuse(request)
            return
        with self._connections_lock:
            self.active_connections += 1
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: give the slot back
            self._release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self._connections_lock:
            self.active_connections -= 1
        self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        """Answer 503 on a connection over ``max_connections`` without giving it a thread."""
        message = {
            "error": {
                "message": f"the server is busy: {self.limits.max_connections} connections are open",
                "type": "server_error",
                "code": "server_busy",
            }
        }
        body = json.dumps(message).encode("utf-8")
        with contextlib.suppress(OSError):
            request.settimeout(1.0)
            request.sendall(_BUSY_REPLY % (self.limits.retry_after, len(body), body))
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line per failed connection, never a traceback (most are clients that went away)."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            self.log(f"{client_address[0]}:{client_address[1]} went away: {error.__class__.__name__}")
        else:
            self.log(f"internal error on a connection from {client_address[0]}: {error!r}")


class GameServer:
    """The API server of one game, usable in-process.

    Example:
        >>> server = GameServer("games/g1")
        >>> base_url = server.start()  # "http://127.0.0.1:PORT/v1"
        >>> server.stop()

    Args:
        game_dir: The game directory (``master/spec.json``, ``auditor/token.txt``).
        host: A loopback address; anything else is refused.
        port: TCP port from 1 to 65535; 0 picks a free one.
        write_endpoint: Rewrite ``auditor/endpoint.json`` with the bound URL on start.
        log: Where request and error lines go (silent by default).
        limits: Queue, batch, connection and timeout limits (defaults: :class:`ServerLimits`).

    Raises:
        GameServerError: for a non-loopback host, a port out of range or an incomplete game directory.
    """

    def __init__(
        self,
        game_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        write_endpoint: bool = False,
        log: Callable[[str], Any] | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        if not is_loopback(host):
            raise GameServerError(
                f"refusing to serve on {host!r}: the game server binds to loopback only",
                "use --host 127.0.0.1",
            )
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise GameServerError(
                f"port {port!r} is out of range", "choose a port from 1 to 65535 (0 picks a free one)"
            )
        self.game_dir = Path(game_dir)
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = port
        self.write_endpoint = write_endpoint
        self.log = log or (lambda line: None)
        self.limits = limits or ServerLimits()
        self.model_dirs = read_model_dirs(self.game_dir)
        self.reference_dirs = read_reference_dirs(self.game_dir)
        self.token = read_token(self.game_dir)
        self._server: _GameHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port)."""
        if self._server is None:
            raise GameServerError("the server is not running", "call start() first")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1`` of the running server."""
        host, port = self.address
        return f"http://{host}:{port}/v1" if ":" not in host else f"http://[{host}]:{port}/v1"

    @property
    def stats(self) -> ServerStats:
        """Connection and generation counters of the running server."""
        if self._server is None:
            raise GameServerError("the server is not running", "call start() first")
        batches = self._server.batcher.stats()
        return ServerStats(
            active_connections=self._server.active_connections,
            refused_connections=self._server.refused_connections,
            batches=batches.batches,
            rows=batches.rows,
            decode_steps=batches.decode_steps,
            completed=batches.completed,
            cancelled=batches.cancelled,
            timed_out=batches.timed_out,
            queue_full=batches.refused,
            failed=batches.failed,
            queued=batches.queued,
            running=batches.running,
        )

    def preload(self, name: str) -> Any:
        """Load model ``name`` now (rather than on its first request); returns the loaded model.

        Raises:
            GameServerError: if the server is not bound or the model cannot be loaded.
        """
        if self._server is None:
            raise GameServerError("the server is not running", "call start() first")
        try:
            return self._server.pool.get(name).model
        except (RequestError, KeyError):
            raise GameServerError(f"cannot load model {name!r}", "check master/spec.json") from None

    def bind(self) -> str:
        """Bind the socket and start the generation worker (without serving yet); returns the base URL."""
        if self._server is None:
            pool = _ModelPool(self.model_dirs, self.log, self.reference_dirs)
            server_class = _GameHTTPServer
            if ":" in self.host:
                server_class = type(
                    "_GameHTTPServer6", (_GameHTTPServer,), {"address_family": socket.AF_INET6}
                )
            try:
                self._server = server_class((self.host, self.port), pool, self.token, self.log, self.limits)
            except (OSError, OverflowError) as error:
                reason = getattr(error, "strerror", None) or str(error)
                raise GameServerError(
                    f"cannot listen on {self.host}:{self.port}: {reason}", "choose another --port"
                ) from None
            self._server.batcher.start()
            if self.write_endpoint:
                self._write_endpoint()
        return self.base_url

    def start(self) -> str:
        """Serve in a background thread; returns the base URL (``http://127.0.0.1:PORT/v1``)."""
        base_url = self.bind()
        if self._thread is None:
            assert self._server is not None
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="auditgame-game-server", daemon=True
            )
            self._thread.start()
        return base_url

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` (from another thread) or Ctrl-C."""
        self.bind()
        server = self._server
        assert server is not None
        try:
            server.serve_forever()
        finally:
            server.batcher.stop()
            server.server_close()

    def stop(self) -> None:
        """Stop serving, fail any queued generation with 503, and close the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.batcher.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._server.server_close()
        self._server, self._thread = None, None

    def __enter__(self) -> GameServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _write_endpoint(self) -> None:
        path = self.game_dir / ENDPOINT_PATH
        try:
            endpoint = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except ValueError:
            endpoint = {}
        endpoint = endpoint if isinstance(endpoint, dict) else {}
        endpoint.update({"base_url": self.base_url, "token_file": endpoint.get("token_file", "token.txt")})
        endpoint["models"] = sorted(self.model_dirs)
        if self.reference_dirs:
            endpoint["references"] = sorted(self.reference_dirs)
        else:
            endpoint.pop("references", None)
        atomic_write_json(path, endpoint)


def serve_game(
    game_dir: Path | str,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ready: Callable[[str], Any] | None = None,
    log: Callable[[str], Any] | None = None,
    limits: ServerLimits | None = None,
) -> None:
    """Serve a game's models until interrupted (blocking).

    ``auditor/endpoint.json`` is rewritten with the bound URL, so a port of 0 (any free port) works.

    Args:
        game_dir: The game directory.
        host: A loopback address.
        port: TCP port from 1 to 65535; 0 picks a free one.
        ready: Called with the base URL once the socket listens.
        log: Where request lines go (silent by default).
        limits: Queue, batch, connection and timeout limits (defaults: :class:`ServerLimits`).

    Raises:
        GameServerError: for a non-loopback host, a busy or out-of-range port or an incomplete game directory.
    """
    server = GameServer(game_dir, host, port, write_endpoint=True, log=log, limits=limits)
    base_url = server.bind()
    if ready is not None:
        ready(base_url)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
