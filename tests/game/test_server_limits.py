"""The game server under load and under hostile input: batching, bounded queue, timeouts, cancellation, 4xx.

Every test talks to a server on loopback over a micro model and stops by itself; the slow model that some
tests need is the micro model with a short sleep in its forward pass (and its end-of-sequence token
suppressed, so that a generation runs until it is stopped).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditgame.game.server import MAX_BODY_BYTES, GameServer, ServerLimits
from tests.conftest import run_auditgame

TOKEN = "test-token-limits"
AUTH = f"Authorization: Bearer {TOKEN}\r\n"
CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def game_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from auditgame.model import build_model, get_preset, save_model, train_tokenizer
    from auditgame.world import neutral_conversations

    root = tmp_path_factory.mktemp("game")
    texts = [message["content"] for messages in neutral_conversations(200, 0) for message in messages]
    tokenizer = train_tokenizer(texts, vocab_size=512)
    model_dir = root / "secret-models" / "micro"
    save_model(build_model(get_preset("micro"), tokenizer, seed=0), tokenizer, model_dir)
    (root / "master").mkdir()
    (root / "auditor").mkdir()
    spec = {
        "models": {"model-a": {"organism": "x", "organism_dir": str(model_dir), "model_dir": str(model_dir)}}
    }
    (root / "master" / "spec.json").write_text(json.dumps(spec))
    (root / "auditor" / "token.txt").write_text(TOKEN + "\n")
    return root


@pytest.fixture(scope="module")
def server(game_dir: Path) -> Iterator[GameServer]:
    with GameServer(game_dir) as running:
        yield running


def slow_down(server: GameServer, seconds_per_step: float = 0.02) -> None:
    """Make the server's model sleep in every forward pass and never end a sequence by itself."""
    model = server.preload("model-a")
    forward, eos = model.forward, model.config.eos_token_id

    def slow_forward(*args, **kwargs):
        time.sleep(seconds_per_step)
        output = forward(*args, **kwargs)
        output.logits[..., eos] = float("-inf")
        return output

    model.forward = slow_forward


def chat_body(max_tokens: int = 4, **extra) -> dict:
    return {
        "model": "model-a",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": max_tokens,
        **extra,
    }


def post(
    server: GameServer, path: str, raw: bytes, headers: dict[str, str] | None = None, timeout: float = 30
):
    """POST ``raw`` with the token; returns (status, headers, JSON reply)."""
    connection = http.client.HTTPConnection(*server.address, timeout=timeout)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Authorization", f"Bearer {TOKEN}")
        for name, value in (headers or {"Content-Length": str(len(raw))}).items():
            connection.putheader(name, value)
        connection.endheaders(raw)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"{}")
    finally:
        connection.close()


def raw_request(server: GameServer, data: bytes) -> socket.socket:
    """A socket that has sent ``data`` (maybe half a request) and is left open."""
    connection = socket.create_connection(server.address, timeout=10)
    connection.sendall(data)
    return connection


def read_reply(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# -- malformed input: a 4xx for each, never a 500 ----------------------------------------------------------
def test_body_over_the_limit_is_413(server):
    status, _, data = post(server, CHAT, b"x" * (5 * MAX_BODY_BYTES))
    assert status == 413 and data["error"]["code"] == "too_large"
    # Announced but not sent: refused on the header alone.
    status, _, data = post(server, CHAT, b"", {"Content-Length": str(5_000_000)})
    assert status == 413 and str(MAX_BODY_BYTES) in data["error"]["message"]


@pytest.mark.parametrize("value", ["-5", "abc", "1e3", " ", "+7", "99999999999999999999999"])
def test_bad_content_length_is_400_naming_the_header(server, value):
    status, _, data = post(server, CHAT, b"", {"Content-Length": value})
    assert status == 400 and data["error"]["code"] == "invalid_content_length"
    assert "Content-Length" in data["error"]["message"]


def test_conflicting_lengths_and_chunked_bodies_are_400(server):
    reply = read_reply(
        raw_request(
            server,
            f"POST {CHAT} HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: 2\r\nContent-Length: 5\r\n\r\n{{}}".encode(),
        )
    )
    assert reply.startswith(b"HTTP/1.1 400") and b"invalid_content_length" in reply
    status, _, data = post(server, CHAT, b"", {"Transfer-Encoding": "chunked"})
    assert status == 400 and "Content-Length" in data["error"]["message"]


def test_deeply_nested_json_is_400(server):
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"model": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001):
        status, _, data = post(server, CHAT, raw)
        assert status == 400 and data["error"]["code"] == "invalid_json", data


def test_lone_surrogates_and_invalid_utf8_are_400(server):
    lone = json.dumps(chat_body()).replace('"hi"', '"hi \\ud800 there"').encode()
    status, _, data = post(server, CHAT, lone)
    assert status == 400 and data["error"]["code"] == "invalid_unicode"
    prompt = b'{"model": "model-a", "prompt": "\\udfff"}'
    assert post(server, "/v1/completions", prompt)[0] == 400
    key = b'{"model": "model-a", "prompt": "x", "\\ud800": 1}'
    assert post(server, "/v1/completions", key)[0] == 400
    status, _, data = post(server, CHAT, b'{"model": "model-a", "messages": "\xff\xfe"}')
    assert status == 400 and "UTF-8" in data["error"]["message"]
    assert post(server, CHAT, json.dumps(chat_body(temperature=0)).replace("0}", "NaN}").encode())[0] == 400


def test_port_out_of_range_is_one_line(game_dir):
    from auditgame.game.server import GameServerError

    for port in (99999, -1, 65536):
        with pytest.raises(GameServerError, match="out of range"):
            GameServer(game_dir, port=port)


def test_serve_command_port_out_of_range_is_one_line(game_dir):
    result = run_auditgame("game", "serve", str(game_dir), "--port", "99999", timeout=120)
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(lines) == 1 and "out of range" in lines[0], result.stderr


# -- slow clients: the read timeout releases them ----------------------------------------------------------
def test_half_sent_requests_are_released_by_the_read_timeout(game_dir):
    limits = ServerLimits(read_timeout=0.5)
    with GameServer(game_dir, limits=limits) as server:
        half_headers = [raw_request(server, f"POST {CHAT} HTTP/1.1\r\n{AUTH}".encode()) for _ in range(20)]
        half_bodies = [
            raw_request(server, f"POST {CHAT} HTTP/1.1\r\n{AUTH}Content-Length: 100\r\n\r\n{{".encode())
            for _ in range(20)
        ]
        assert wait_for(lambda: server.stats.active_connections == 40, timeout=5)
        dribbler = raw_request(server, b"P")
        started = time.monotonic()
        with pytest.raises(OSError):  # the server cuts a client sending a byte every 0.1 s
            for byte in f"OST {CHAT} HTTP/1.1\r\n{AUTH}".encode() * 5:
                dribbler.send(bytes([byte]))
                time.sleep(0.1)
        assert time.monotonic() - started < 5
        for connection in half_headers + half_bodies:
            reply = read_reply(connection)
            assert reply.startswith(b"HTTP/1.1 408") and b"request_timeout" in reply
            connection.close()
        assert wait_for(lambda: server.stats.active_connections == 0, timeout=5)
        assert post(server, CHAT, json.dumps(chat_body()).encode())[0] == 200


# -- cancellation, timeouts and the bounded queue ----------------------------------------------------------
def test_an_abandoned_request_stops_generating(game_dir, capfd):
    lines: list[str] = []
    with GameServer(game_dir, log=lines.append) as server:
        slow_down(server)
        body = json.dumps(chat_body(max_tokens=400)).encode()
        client = raw_request(
            server, f"POST {CHAT} HTTP/1.1\r\n{AUTH}Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        assert wait_for(lambda: server.stats.running == 1 and server.stats.decode_steps >= 3)
        client.close()
        assert wait_for(lambda: server.stats.cancelled == 1 and server.stats.running == 0, timeout=5)
        steps = server.stats.decode_steps
        time.sleep(0.3)
        assert server.stats.decode_steps == steps < 100  # stopped, and far before its 400 tokens
        # Clients that vanish at every stage leave one log line each and no traceback.
        for _ in range(5):
            raw_request(
                server, f"POST {CHAT} HTTP/1.1\r\n{AUTH}Content-Length: {len(body)}\r\n\r\n".encode()
            ).close()
        assert wait_for(lambda: server.stats.active_connections == 0, timeout=5)
    assert any("went away" in line for line in lines)
    assert "Traceback" not in capfd.readouterr().err


def test_a_generation_past_its_timeout_is_503(game_dir):
    with GameServer(game_dir, limits=ServerLimits(generation_timeout=0.5)) as server:
        slow_down(server)
        started = time.monotonic()
        status, headers, data = post(server, CHAT, json.dumps(chat_body(max_tokens=400)).encode())
        assert status == 503 and data["error"]["code"] == "timeout" and headers["Retry-After"] == "2"
        assert time.monotonic() - started < 5
        assert wait_for(lambda: server.stats.running == 0, timeout=5) and server.stats.timed_out == 1


def test_a_full_queue_is_503_with_retry_after(game_dir):
    limits = ServerLimits(queue_size=2, max_batch_rows=16, retry_after=3)
    with GameServer(game_dir, limits=limits) as server:
        slow_down(server)
        body = json.dumps(chat_body(max_tokens=400, n=16)).encode()
        request = f"POST {CHAT} HTTP/1.1\r\n{AUTH}Content-Length: {len(body)}\r\n\r\n".encode() + body
        running = raw_request(server, request)
        assert wait_for(lambda: server.stats.running == 1)
        waiting = [raw_request(server, request) for _ in range(2)]
        assert wait_for(lambda: server.stats.queued == 2)
        status, headers, data = post(server, CHAT, body)
        assert status == 503 and data["error"]["code"] == "server_busy" and headers["Retry-After"] == "3"
        for connection in [running, *waiting]:
            connection.close()
        assert wait_for(lambda: server.stats.running == 0 and server.stats.queued == 0, timeout=5)
        assert server.stats.queue_full == 1 and server.stats.cancelled == 3


def test_connections_over_the_limit_are_503(game_dir):
    with GameServer(game_dir, limits=ServerLimits(max_connections=3, queue_size=3)) as server:
        idle = [raw_request(server, b"") for _ in range(3)]
        assert wait_for(lambda: server.stats.active_connections == 3)
        reply = read_reply(raw_request(server, b""))
        assert reply.startswith(b"HTTP/1.1 503") and b"Retry-After" in reply
        for connection in idle:
            connection.close()
        assert wait_for(lambda: server.stats.active_connections == 0)
        assert server.stats.refused_connections == 1


# -- load -------------------------------------------------------------------------------------------------
def test_fifty_concurrent_clients_are_all_answered_or_refused(game_dir):
    import psutil

    clients = 50
    with GameServer(game_dir) as server:
        assert post(server, CHAT, json.dumps(chat_body()).encode())[0] == 200  # load the model first
        process = psutil.Process()
        rss_before, threads_before = process.memory_info().rss, threading.active_count()
        outcomes: Counter[str] = Counter()
        lock, start = threading.Lock(), threading.Barrier(clients + 1)

        def client(seed: int) -> None:
            body = json.dumps(chat_body(max_tokens=8, temperature=0.7, seed=seed)).encode()
            start.wait()
            try:
                status, _, data = post(server, CHAT, body, timeout=30)
                outcome = {200: "answered", 503: "refused"}.get(status, f"status {status}")
                if status == 200 and not (
                    len(data["choices"]) == 1 and data["usage"]["completion_tokens"] <= 8
                ):
                    outcome = "bad reply"
            except TimeoutError:
                outcome = "timed out"
            except OSError as error:
                outcome = f"connection error {error.__class__.__name__}"
            with lock:
                outcomes[outcome] += 1

        threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.monotonic()
        for thread in threads:
            thread.join(60)
        wall = time.monotonic() - began
        rss_growth = process.memory_info().rss - rss_before
        print(
            f"\n50-client load: {dict(outcomes)}; {wall:.2f} s wall, {outcomes['answered'] / wall:.1f} "
            f"requests/s; RSS +{rss_growth / 2**20:.1f} MiB"
        )
        stats = server.stats
        print(f"{stats.batches - 1} batches of {(stats.rows - 1) / max(stats.batches - 1, 1):.1f} rows")
        assert set(outcomes) <= {"answered", "refused"}, outcomes
        assert sum(outcomes.values()) == clients and outcomes["answered"] >= 1
        assert stats.batches - 1 < clients  # concurrent requests shared batches
        assert rss_growth < 256 * 2**20
        assert wait_for(lambda: server.stats.active_connections == 0, timeout=10)
        assert wait_for(lambda: threading.active_count() <= threads_before, timeout=10)
