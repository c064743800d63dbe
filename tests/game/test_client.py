"""The auditor's client against a scripted server: a busy 503 is retried after Retry-After, others are not."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from auditgame.game.client import GameClient, GameClientError


def scripted_server(replies: list[tuple[int, dict[str, str]]]) -> tuple[ThreadingHTTPServer, list[str]]:
    """A server that answers each request with the next (status, headers) of ``replies``."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers = replies[min(len(seen), len(replies) - 1)]
            seen.append(self.path)
            ok = {"data": [{"id": "model-a"}]}
            body = json.dumps(ok if status == 200 else {"error": {"message": "busy"}}).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def workspace(tmp_path, server: ThreadingHTTPServer):
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    (tmp_path / "endpoint.json").write_text(json.dumps({"base_url": base_url}))
    (tmp_path / "token.txt").write_text("t")
    return tmp_path


def test_a_busy_server_is_retried_after_retry_after(tmp_path):
    server, seen = scripted_server([(503, {"Retry-After": "0"}), (503, {"Retry-After": "0"}), (200, {})])
    try:
        assert GameClient(workspace(tmp_path, server), retries=3).models() == ["model-a"]
        assert len(seen) == 3
    finally:
        server.shutdown()
        server.server_close()


def test_retries_run_out_and_a_503_without_retry_after_is_not_retried(tmp_path):
    server, seen = scripted_server([(503, {"Retry-After": "0"})])
    try:
        with pytest.raises(GameClientError, match="503 busy") as error:
            GameClient(workspace(tmp_path, server), retries=2).models()
        assert error.value.status == 503 and len(seen) == 3
    finally:
        server.shutdown()
        server.server_close()
    server, seen = scripted_server([(503, {})])
    try:
        with pytest.raises(GameClientError, match="503"):
            GameClient(workspace(tmp_path, server), retries=2).models()
        assert len(seen) == 1
    finally:
        server.shutdown()
        server.server_close()
