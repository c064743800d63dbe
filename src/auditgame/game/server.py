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
wrong token, 404 for an unknown route or model, 400 for malformed JSON or bad parameters.
Models are loaded on first use and cached; one lock serialises loading and generation.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import threading
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from auditgame.artifacts import atomic_write_json
from auditgame.errors import AuditgameError

SPEC_PATH = Path("master") / "spec.json"
TOKEN_PATH = Path("auditor") / "token.txt"
ENDPOINT_PATH = Path("auditor") / "endpoint.json"
MAX_BODY_BYTES = 1 << 20
MAX_N = 16
MAX_TOKENS = 1024
DEFAULT_MAX_TOKENS = 96
_ROLES = ("system", "user", "assistant")


class GameServerError(AuditgameError):
    """A game directory the server cannot serve, or a non-loopback address."""


class RequestError(Exception):
    """A request the server refuses: an HTTP status and a message for the client."""

    def __init__(self, status: HTTPStatus, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    """Lazily loaded models by neutral name, with one lock around loading and generation.

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
        self.lock = threading.Lock()
        self._loaded: dict[str, tuple[Any, Any]] = {}
        self._log = log

    def _get(self, name: str) -> tuple[Any, Any]:
        if name not in self._loaded:
            from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
            from auditgame.model.tokenizer import ensure_chat_template

            try:
                directory = resolve_model_dir(self.model_dirs[name])
                tokenizer = ensure_chat_template(load_tokenizer(directory))
                model = load_model(directory)
            except AuditgameError as error:
                self._log(f"cannot load {name}: {error}")
                # The message names master paths: the client only learns that the model is unavailable.
                raise RequestError(
                    HTTPStatus.SERVICE_UNAVAILABLE, f"model {name!r} is unavailable", "model_unavailable"
                ) from None
            self._loaded[name] = (model, tokenizer)
        return self._loaded[name]

    def render_chat(self, name: str, messages: list[dict[str, str]]) -> str:
        """The text the model continues for ``messages`` (a final assistant message is a prefill)."""
        with self.lock:
            _, tokenizer = self._get(name)
            prefill = ""
            if messages[-1]["role"] == "assistant":
                prefill, messages = messages[-1]["content"], messages[:-1]
            if not messages:
                raise RequestError(
                    HTTPStatus.BAD_REQUEST, "messages must hold more than a prefill", "invalid_messages"
                )
            return (
                tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) + prefill
            )

    def sample(self, name: str, text: str, *, n: int, temperature: float, max_tokens: int, seed: int) -> dict:
        """``n`` continuations of ``text`` with token counts and finish reasons."""
        from auditgame.model.generation import GenerationConfig, generate

        with self.lock:
            model, tokenizer = self._get(name)
            config = GenerationConfig(
                max_new_tokens=max_tokens, temperature=temperature, batch_size=n, seed=seed
            )
            prompt_tokens = len(tokenizer(text, add_special_tokens=False)["input_ids"])
            context = getattr(model.config, "n_positions", None) or getattr(
                model.config, "max_position_embeddings", None
            )
            if context and prompt_tokens + max_tokens > context:
                raise RequestError(
                    HTTPStatus.BAD_REQUEST,
                    f"the prompt ({prompt_tokens} tokens) plus max_tokens ({max_tokens}) exceeds the model's "
                    f"context of {context} tokens",
                    "context_length_exceeded",
                )
            texts = generate(model, tokenizer, [text] * n, raw=True, config=config)
            counts = [len(tokenizer(output, add_special_tokens=False)["input_ids"]) for output in texts]
        return {
            "texts": texts,
            "finish_reasons": ["length" if count >= max_tokens else "stop" for count in counts],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": sum(counts),
                "total_tokens": prompt_tokens + sum(counts),
            },
        }


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


class _Handler(BaseHTTPRequestHandler):
    server: _GameHTTPServer
    server_version = "auditgame"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    # -- plumbing -------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(f"{self.address_string()} {format % args}")

    def _send(self, status: HTTPStatus, payload: dict) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", "Bearer")
        self.end_headers()
        self.wfile.write(body)

    def _error(self, error: RequestError) -> None:
        kind = "authentication_error" if error.status == HTTPStatus.UNAUTHORIZED else "invalid_request_error"
        self._send(error.status, {"error": {"message": error.message, "type": kind, "code": error.code}})

    def _authorise(self) -> None:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode("utf-8"), self.server.token.encode("utf-8")
        ):
            raise RequestError(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token", "invalid_api_key")

    def _body(self) -> dict:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise RequestError(
                HTTPStatus.BAD_REQUEST, "a JSON body with Content-Length is required", "no_body"
            ) from None
        if not 0 <= length <= MAX_BODY_BYTES:
            raise RequestError(
                HTTPStatus.BAD_REQUEST, f"the body must be at most {MAX_BODY_BYTES} bytes", "too_large"
            )
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RequestError(HTTPStatus.BAD_REQUEST, "the body is not valid JSON", "invalid_json") from None
        if not isinstance(body, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object", "invalid_json")
        return body

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
        try:
            self._authorise()
            route = self._route()
            if method == "GET" and route == "/v1/models":
                self._send(HTTPStatus.OK, self._list_models())
            elif method == "POST" and route == "/v1/chat/completions":
                self._send(HTTPStatus.OK, self._chat(self._body()))
            elif method == "POST" and route == "/v1/completions":
                self._send(HTTPStatus.OK, self._completion(self._body()))
            else:
                raise RequestError(HTTPStatus.NOT_FOUND, "no such route", "not_found")
        except RequestError as error:
            self._error(error)
            self.close_connection = True
        except Exception as error:  # a bug must not kill the server or leak a traceback to the client
            self.server.log(f"internal error on {self.command} {self.path[:100]}: {error!r}")
            self._error(RequestError(HTTPStatus.INTERNAL_SERVER_ERROR, "internal server error", "internal"))
            self.close_connection = True

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
        text = self.server.pool.render_chat(name, messages)
        result = self.server.pool.sample(name, text, **sampling)
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
        result = self.server.pool.sample(name, prompt, **_sampling(body))
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


class _GameHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], pool: _ModelPool, token: str, log: Callable[[str], Any]
    ) -> None:
        self.pool, self.token, self.log = pool, token, log
        super().__init__(address, _Handler)


class GameServer:
    """The API server of one game, usable in-process.

    Example:
        >>> server = GameServer("games/g1")
        >>> base_url = server.start()  # "http://127.0.0.1:PORT/v1"
        >>> server.stop()

    Args:
        game_dir: The game directory (``master/spec.json``, ``auditor/token.txt``).
        host: A loopback address; anything else is refused.
        port: TCP port; 0 picks a free one.
        write_endpoint: Rewrite ``auditor/endpoint.json`` with the bound URL on start.
        log: Where request and error lines go (silent by default).

    Raises:
        GameServerError: for a non-loopback host or an incomplete game directory.
    """

    def __init__(
        self,
        game_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        write_endpoint: bool = False,
        log: Callable[[str], Any] | None = None,
    ) -> None:
        if not _is_loopback(host):
            raise GameServerError(
                f"refusing to serve on {host!r}: the game server binds to loopback only",
                "use --host 127.0.0.1",
            )
        self.game_dir = Path(game_dir)
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = port
        self.write_endpoint = write_endpoint
        self.log = log or (lambda line: None)
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

    def bind(self) -> str:
        """Bind the socket (without serving yet); returns the base URL."""
        if self._server is None:
            pool = _ModelPool(self.model_dirs, self.log, self.reference_dirs)
            server_class = _GameHTTPServer
            if ":" in self.host:
                import socket

                server_class = type(
                    "_GameHTTPServer6", (_GameHTTPServer,), {"address_family": socket.AF_INET6}
                )
            try:
                self._server = server_class((self.host, self.port), pool, self.token, self.log)
            except OSError as error:
                raise GameServerError(
                    f"cannot listen on {self.host}:{self.port}: {error.strerror}", "choose another --port"
                ) from None
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
        assert self._server is not None
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is None:
            return
        self._server.shutdown()
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
) -> None:
    """Serve a game's models until interrupted (blocking).

    ``auditor/endpoint.json`` is rewritten with the bound URL, so a port of 0 (any free port) works.

    Args:
        game_dir: The game directory.
        host: A loopback address.
        port: TCP port; 0 picks a free one.
        ready: Called with the base URL once the socket listens.
        log: Where request lines go (silent by default).

    Raises:
        GameServerError: for a non-loopback host, a busy port or an incomplete game directory.
    """
    server = GameServer(game_dir, host, port, write_endpoint=True, log=log)
    base_url = server.bind()
    if ready is not None:
        ready(base_url)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
