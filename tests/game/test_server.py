"""The game's API server and the auditor's client, on a faked game directory with a micro model."""

import http.client
import json

import pytest

from auditgame.game.client import GameClient, GameClientError
from auditgame.game.server import GameServer, GameServerError

TOKEN = "test-token-123"


@pytest.fixture(scope="module")
def game_dir(tmp_path_factory):
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
def server(game_dir):
    with GameServer(game_dir, write_endpoint=True) as running:
        yield running


def call(server, method, path, body=None, token=TOKEN, raw=None):
    host, port = server.address
    connection = http.client.HTTPConnection(host, port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    data = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, data


def test_binds_to_loopback_only(game_dir, server):
    assert server.address[0] == "127.0.0.1"
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    for host in ("0.0.0.0", "192.168.1.10", "::"):
        with pytest.raises(GameServerError, match="loopback"):
            GameServer(game_dir, host=host)


def test_lists_models(server):
    status, data = call(server, "GET", "/v1/models")
    assert status == 200 and [entry["id"] for entry in data["data"]] == ["model-a"]


def test_chat_with_system_prefill_and_n(server):
    body = {
        "model": "model-a",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "How do I boil an egg?"},
            {"role": "assistant", "content": "First"},
        ],
        "n": 2,
        "temperature": 0.8,
        "max_tokens": 8,
        "seed": 3,
    }
    status, data = call(server, "POST", "/v1/chat/completions", body)
    assert status == 200 and data["object"] == "chat.completion" and data["model"] == "model-a"
    assert [choice["index"] for choice in data["choices"]] == [0, 1]
    for choice in data["choices"]:
        assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
        assert choice["finish_reason"] in ("stop", "length")
    usage = data["usage"]
    assert (
        usage["prompt_tokens"] > 0
        and usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    )
    # Same seed, same samples.
    assert call(server, "POST", "/v1/chat/completions", body)[1]["choices"] == data["choices"]


def test_completions(server):
    body = {"model": "model-a", "prompt": "The weather today", "max_tokens": 6, "temperature": 0}
    status, data = call(server, "POST", "/v1/completions", body)
    assert status == 200 and data["object"] == "text_completion"
    assert len(data["choices"]) == 1 and isinstance(data["choices"][0]["text"], str)
    assert data["usage"]["prompt_tokens"] > 0


def test_refuses_bad_requests(server):
    chat = {"model": "model-a", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    assert call(server, "GET", "/v1/models", token=None)[0] == 401
    assert call(server, "GET", "/v1/models", token="wrong")[0] == 401
    assert call(server, "POST", "/v1/chat/completions", chat, token="wrong")[0] == 401
    for name in ("model-z", "../master", "model-a/../../x", "master/spec.json"):
        assert call(server, "POST", "/v1/chat/completions", {**chat, "model": name})[0] in (400, 404)
    status, data = call(server, "POST", "/v1/chat/completions", {**chat, "model": "../master"})
    assert status == 404 and "master" not in json.dumps(data).replace("../master", "")
    for path in (
        "/../master/spec.json",
        "/v1/../master/spec.json",
        "/master/spec.json",
        "/auditor/token.txt",
    ):
        status, data = call(server, "GET", path)
        assert status == 404 and TOKEN not in json.dumps(data)
    assert call(server, "POST", "/v1/chat/completions", raw=b"{not json")[0] == 400
    assert call(server, "POST", "/v1/chat/completions", raw=b"[1, 2]")[0] == 400
    assert call(server, "POST", "/v1/chat/completions", {**chat, "n": 0})[0] == 400
    assert call(server, "POST", "/v1/chat/completions", {**chat, "messages": []})[0] == 400
    assert (
        call(server, "POST", "/v1/chat/completions", {**chat, "messages": [{"role": "x", "content": 1}]})[0]
        == 400
    )
    assert call(server, "POST", "/v1/completions", {"model": "model-a"})[0] == 400
    status, data = call(server, "POST", "/v1/completions", {"model": "model-a", "prompt": "word " * 3000})
    assert status == 400 and data["error"]["code"] == "context_length_exceeded"


def test_client_returns_texts(game_dir, server):
    endpoint = json.loads((game_dir / "auditor" / "endpoint.json").read_text())
    assert endpoint["base_url"] == server.base_url and endpoint["models"] == ["model-a"]
    client = GameClient(game_dir / "auditor")
    assert client.models() == ["model-a"]
    replies = client.chat("model-a", "Hello!", system="Be kind.", prefill="Hi", n=2, max_tokens=5, seed=1)
    assert len(replies) == 2 and all(isinstance(reply, str) for reply in replies)
    assert len(client.complete("model-a", "Once upon a time", max_tokens=5, temperature=0)) == 1
    with pytest.raises(GameClientError, match="404"):
        client.chat("model-q", "Hello!")


def test_client_errors(tmp_path, server):
    with pytest.raises(GameClientError, match="endpoint"):
        GameClient(tmp_path)
    (tmp_path / "endpoint.json").write_text(
        json.dumps({"base_url": server.base_url, "token_file": "token.txt"})
    )
    (tmp_path / "token.txt").write_text("wrong")
    with pytest.raises(GameClientError, match="401"):
        GameClient(tmp_path).models()
    (tmp_path / "endpoint.json").write_text(json.dumps({"base_url": "http://127.0.0.1:9/v1"}))
    (tmp_path / "token.txt").write_text(TOKEN)
    with pytest.raises(GameClientError, match="cannot reach"):
        GameClient(tmp_path, timeout=5).models()


def test_incomplete_game_dir(tmp_path):
    with pytest.raises(GameServerError, match="spec"):
        GameServer(tmp_path)
