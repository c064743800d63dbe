"""The viewer's HTTP server: one directory's page, its files and the viewer's own CSS/JS, on loopback only.

Routes (``GET`` and ``HEAD`` only; anything else is 405):

* ``/`` — the page of the directory, rendered anew at every request;
* ``/file/<relative path>`` — a file inside the directory, through the :class:`~auditgame.viewer.guard.PathGuard`
  (403 for a path that leaves the directory or is denied, 404 for one that is not there). Images are
  served as images; everything else as ``text/plain`` or as a download, never as HTML, so a hostile
  artifact cannot run script in the viewer's origin;
* ``/static/viewer.css``, ``/static/viewer.js`` — shipped with the package.

Every reply carries a Content-Security-Policy that allows only the viewer's own files, and a request
whose ``Host`` header is not the loopback address the server listens on is refused (403), so a web page
elsewhere cannot read the viewer through DNS rebinding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import stat
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from auditgame.errors import AuditgameError
from auditgame.loopback import is_loopback
from auditgame.viewer.guard import FileRefusedError, PathGuard
from auditgame.viewer.kinds import (
    AUDITOR_DIR,
    MASTER_DIR,
    RESULTS_DIR,
    SECRET_FILE,
    TOKEN_FILE,
    ViewKind,
    detect_kind,
)
from auditgame.viewer.markup import CONTENT_SECURITY_POLICY, escape
from auditgame.viewer.pages import ViewContext, render_page

DEFAULT_PORT = 8766
"""The viewer's default port (the game's API server defaults to 8765)."""
STATIC_FILES = {"viewer.css": "text/css; charset=utf-8", "viewer.js": "text/javascript; charset=utf-8"}
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
TEXT_SUFFIXES = (
    ".json",
    ".jsonl",
    ".md",
    ".txt",
    ".csv",
    ".tsv",
    ".yaml",
    ".yml",
    ".log",
    ".jinja",
    ".py",
    ".html",
    ".svg",
)
"""Served as ``text/plain``: readable in the browser, never interpreted (HTML and SVG included)."""


class ViewerError(AuditgameError):
    """A path the viewer cannot show, a non-loopback address, or a port it cannot listen on."""


def denied_paths(kind: ViewKind, master: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the page may not read, and what ``/file/`` may not serve, for a view of ``kind``.

    A game hides ``master/`` (unless ``master``) and serves no graded result (their per-model grades give the
    keys away) unless ``master``; the secret and the auditor's token are never read.
    """
    if kind is ViewKind.GAME:
        page = (
            (f"{MASTER_DIR}/{SECRET_FILE}", f"{AUDITOR_DIR}/{TOKEN_FILE}")
            if master
            else (MASTER_DIR, f"{AUDITOR_DIR}/{TOKEN_FILE}")
        )
        return page, page if master else (*page, RESULTS_DIR)
    if kind is ViewKind.GAME_MASTER:
        return (SECRET_FILE,), (SECRET_FILE,)
    if kind is ViewKind.AUDITOR_WORKSPACE:
        return (TOKEN_FILE,), (TOKEN_FILE,)
    return (), ()


def open_view(path: Path | str, *, master: bool = False) -> ViewContext:
    """Check ``path`` and work out its page: kind and guards.

    Args:
        path: The directory to view.
        master: Show a game's master record (only for a game directory).

    Raises:
        ViewerError: if ``path`` does not exist, is not a directory, holds nothing the viewer knows, or
            ``master`` is asked for something that is not a game.
    """
    shown = str(path)
    path = Path(path)
    if not path.exists():
        raise ViewerError(
            f"{shown} does not exist", "check the path: pass an artifact, audit or game directory"
        )
    if not path.is_dir():
        raise ViewerError(
            f"{shown} is a file, not a directory",
            "pass the directory that holds it (an organism, audit, game or other artifact directory)",
        )
    try:
        os.listdir(path)
    except OSError as error:
        raise ViewerError(
            f"cannot read {shown}: {error.strerror or type(error).__name__}", "check its permissions"
        ) from None
    kind = detect_kind(path, PathGuard(path, denied=(MASTER_DIR,)))
    if kind is None:
        raise ViewerError(
            f"{shown} holds nothing auditgame can show (no manifest.json, game.json, submission.json, "
            "tier.json or report.json)",
            "pass an organism, audit, game, auditor workspace or other artifact directory",
        )
    if master and kind is not ViewKind.GAME:
        raise ViewerError(
            f"--master applies to a game directory, and {shown} is a {kind.value} directory",
            "drop --master, or pass the game directory (the one holding game.json)",
        )
    page_denied, file_denied = denied_paths(kind, master)
    return ViewContext(
        guard=PathGuard(path, page_denied, open_game_master=master),
        file_guard=PathGuard(path, file_denied, open_game_master=master),
        kind=kind,
        display_path=shown,
        master=master,
    )


def _static(name: str) -> bytes:
    return resources.files("auditgame.viewer").joinpath("static", name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: _ViewerHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds an idle keep-alive connection (or a slow client) holds its thread
    server_version = "auditgame-view"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(f"{self.address_string()} {format % args}")

    def _send(
        self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self._common_headers(headers)
        if self.command != "HEAD":
            self.wfile.write(body)

    def _common_headers(self, headers: dict[str, str] | None = None) -> None:
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _error(self, status: HTTPStatus, message: str) -> None:
        body = f"<!DOCTYPE html><title>{status.value}</title><h1>{status.value} {status.phrase}</h1><p>{escape(message)}</p>\n"
        self._send(status, body.encode("utf-8"), "text/html; charset=utf-8")

    def _host_allowed(self) -> bool:
        return self.headers.get("Host", "") in self.server.allowed_hosts

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _refuse_method(self) -> None:
        self._send(
            HTTPStatus.METHOD_NOT_ALLOWED,
            b"the viewer is read-only\n",
            "text/plain; charset=utf-8",
            {"Allow": "GET, HEAD"},
        )

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _handle(self) -> None:
        if not self._host_allowed():
            self._error(
                HTTPStatus.FORBIDDEN, "the viewer answers only requests addressed to its loopback address"
            )
            return
        route = urlsplit(self.path).path
        if route == "/" or route == "/index.html":
            # A fresh context per request: a run that finishes meanwhile shows its manifest on reload.
            body = render_page(dataclasses.replace(self.server.context, _manifest=None)).encode("utf-8")
            self._send(HTTPStatus.OK, body, "text/html; charset=utf-8")
        elif route.startswith("/static/"):
            name = route.removeprefix("/static/")
            if name not in STATIC_FILES:
                self._error(HTTPStatus.NOT_FOUND, "no such file")
                return
            self._send(HTTPStatus.OK, _static(name), STATIC_FILES[name])
        elif route.startswith("/file/"):
            self._file(route.removeprefix("/file/"))
        elif route == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        else:
            self._error(HTTPStatus.NOT_FOUND, "no such page")

    def _file(self, encoded: str) -> None:
        try:
            # Decoded exactly once: "%2e%2e" is "..", refused by the guard like a literal one.
            relative = unquote(encoded, errors="strict")
            path = self.server.context.file_guard.resolve(relative)
            # The resolved path has no link left: one swapped in since is not followed.
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileRefusedError as refused:
            self._error(refused.status, refused.reason)
            return
        except (OSError, UnicodeDecodeError):
            self._error(HTTPStatus.NOT_FOUND, "the file cannot be read")
            return
        with os.fdopen(descriptor, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                self._error(HTTPStatus.NOT_FOUND, "no such file")
                return
            suffix = path.suffix.lower()
            headers = {}
            if suffix in IMAGE_TYPES:
                content_type = IMAGE_TYPES[suffix]
            elif suffix in TEXT_SUFFIXES or status.st_size == 0:
                content_type = "text/plain; charset=utf-8"
            else:
                content_type = "application/octet-stream"
                headers["Content-Disposition"] = "attachment"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(status.st_size))
            self._common_headers(headers)
            if self.command != "HEAD":
                # Exactly Content-Length bytes, even if the file grows meanwhile (a run still writing it).
                remaining = status.st_size
                while remaining > 0:
                    chunk = handle.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)


class _ViewerHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], context: ViewContext, log: Callable[[str], Any]) -> None:
        self.context = context
        self.log = log
        self.allowed_hosts: set[str] = set()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line per failed connection, never a traceback (most are browsers that went away)."""
        error = sys.exc_info()[1]
        self.log(f"{client_address[0]}: {type(error).__name__}: {error}")


class ViewerServer:
    """The viewer of one directory, usable in-process.

    Example:
        >>> server = ViewerServer("runs/rm1")
        >>> url = server.start()  # "http://127.0.0.1:PORT/"
        >>> server.stop()

    Args:
        path: The directory to view.
        host: A loopback address; anything else is refused.
        port: TCP port from 1 to 65535; 0 picks a free one.
        master: Show a game's master record (a game directory only).
        log: Where request lines go (silent by default).

    Raises:
        ViewerError: for a non-loopback host, a port out of range, or a path the viewer cannot show.
    """

    def __init__(
        self,
        path: Path | str,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        master: bool = False,
        log: Callable[[str], Any] | None = None,
    ) -> None:
        if not is_loopback(host):
            raise ViewerError(
                f"refusing to serve on {host!r}: the viewer binds to loopback only",
                "use --host 127.0.0.1 (or ::1)",
            )
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ViewerError(
                f"port {port!r} is out of range", "choose a port from 1 to 65535 (0 picks a free one)"
            )
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = port
        self.context = open_view(path, master=master)
        self.log = log or (lambda line: None)
        self._server: _ViewerHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def kind(self) -> ViewKind:
        """The kind of page the directory gets."""
        return self.context.kind

    @property
    def url(self) -> str:
        """``http://HOST:PORT/`` of the bound server."""
        if self._server is None:
            raise ViewerError("the viewer is not running", "call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/" if ":" not in str(host) else f"http://[{host}]:{port}/"

    def bind(self) -> str:
        """Listen on the socket (without serving yet); returns the URL.

        Raises:
            ViewerError: if the port is taken or cannot be used.
        """
        if self._server is None:
            server_class = _ViewerHTTPServer
            if ":" in self.host:
                server_class = type(
                    "_ViewerHTTPServer6", (_ViewerHTTPServer,), {"address_family": socket.AF_INET6}
                )
            try:
                self._server = server_class((self.host, self.port), self.context, self.log)
            except (OSError, OverflowError) as error:
                reason = getattr(error, "strerror", None) or str(error)
                raise ViewerError(
                    f"cannot listen on {self.host}:{self.port}: {reason}",
                    "choose another --port (0 picks a free one), or stop what is using it",
                ) from None
            host, port = self._server.server_address[:2]
            shown = f"[{host}]" if ":" in str(host) else str(host)
            names = {shown, "localhost"} if is_loopback(str(host)) else {shown}
            self._server.allowed_hosts = {f"{name}:{port}" for name in names}
        return self.url

    def start(self) -> str:
        """Serve in a background thread; returns the URL."""
        url = self.bind()
        if self._thread is None:
            assert self._server is not None
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="auditgame-viewer", daemon=True
            )
            self._thread.start()
        return url

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

    def __enter__(self) -> ViewerServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_viewer(
    path: Path | str,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    master: bool = False,
    ready: Callable[[str], Any] | None = None,
    log: Callable[[str], Any] | None = None,
) -> None:
    """Serve the page of ``path`` until interrupted (blocking).

    Args:
        path: The directory to view.
        host: A loopback address.
        port: TCP port; 0 picks a free one.
        master: Show a game's master record.
        ready: Called with the URL once the socket listens (e.g. to open a browser).
        log: Where request lines go.

    Raises:
        ViewerError: for a path the viewer cannot show, a non-loopback host or a port it cannot listen on.
    """
    server = ViewerServer(path, host, port, master=master, log=log)
    url = server.bind()
    if ready is not None:
        ready(url)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
