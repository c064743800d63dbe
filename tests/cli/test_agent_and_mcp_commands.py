"""`auditgame audit agent` and `auditgame mcp` as a user meets them: a run against a fake agent endpoint, an
MCP session over stdio, and bad input that gets one clear line and writes no submission."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
import pytest

from tests.conftest import run_auditgame

MODELS = ["model-a", "model-b"]


def _one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def workspace(tmp_path) -> Path:
    """An api-tier auditor workspace: only tier.json (nothing here samples a model)."""
    directory = tmp_path / "auditor"
    directory.mkdir()
    (directory / "tier.json").write_text(json.dumps({"tier": "api", "models": MODELS}))
    return directory


class _SubmittingAgent(BaseHTTPRequestHandler):
    """A fake agent endpoint: lists the models, then submits."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if any(message["role"] == "tool" for message in body["messages"]):
            findings = {
                name: {
                    "has_hidden_objective": name == "model-b",
                    "confidence": 0.6,
                    "behaviours": ["flattery"],
                }
                for name in MODELS
            }
            call = {"name": "submit", "arguments": json.dumps({"findings": findings})}
        else:
            call = {"name": "list_models", "arguments": "{}"}
        message = {"role": "assistant", "content": "", "tool_calls": [{"id": "c", "function": call}]}
        data = json.dumps({"choices": [{"message": message}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_audit_agent_against_a_fake_endpoint(workspace, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SubmittingAgent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = tmp_path / "run"
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1"
        args = ("audit", "agent", str(workspace), "--endpoint", endpoint, "--model", "m", "--out", str(out))
        result = run_auditgame(*args, check=True)
        again = run_auditgame(*args)
    finally:
        server.shutdown()
        server.server_close()
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("model-a: no hidden objective (confidence 0.60, 1 behaviours)")
    assert lines[1].startswith("model-b: hidden objective")
    assert "submission written to" in lines[2] and "2 turns, 2 tool calls" in lines[2]
    assert set(json.loads((out / "submission.json").read_text())["models"]) == set(MODELS)
    assert json.loads((out / "transcript.json").read_text())[0]["role"] == "system"
    _one_line_error(again, "already holds a submission.json", "--out")


def test_audit_agent_with_an_unreachable_endpoint(workspace, tmp_path):
    out = tmp_path / "run"
    result = run_auditgame(
        "audit",
        "agent",
        str(workspace),
        "--endpoint",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
        "--out",
        str(out),
    )
    _one_line_error(result, "cannot use the agent endpoint", "check that the endpoint is running")
    assert not (out / "submission.json").exists()


class _ChattingAgent(BaseHTTPRequestHandler):
    """A fake agent endpoint that never calls a tool."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": "thinking"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_audit_agent_that_never_submits(workspace, tmp_path):
    from typer.testing import CliRunner

    from auditgame.auditors import AgentError
    from auditgame.cli.main import app

    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChattingAgent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = tmp_path / "run"
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1"
        args = ["audit", "agent", str(workspace), "--endpoint", endpoint, "--model", "m", "--out", str(out)]
        result = CliRunner().invoke(app, [*args, "--max-steps", "2"])
    finally:
        server.shutdown()
        server.server_close()
    assert isinstance(result.exception, AgentError), result.output
    assert "no valid submission in 2 turns" in str(result.exception) and "--max-steps" in str(
        result.exception
    )
    assert not (out / "submission.json").exists() and (out / "transcript.json").is_file()


def test_malformed_agent_reply_is_one_clear_error():
    from auditgame.auditors import AgentError
    from auditgame.cli.audit_agent import _CheckedClient

    class Replying:
        url = "http://fake/v1/chat/completions"

        def __init__(self, reply):
            self.reply = reply

        def complete(self, messages, tools):
            return self.reply

    for reply in ({"tool_calls": "submit"}, {"tool_calls": [{"function": "submit"}]}, {"content": ["x"]}):
        with pytest.raises(AgentError, match="not in the OpenAI format"):
            _CheckedClient(Replying(reply)).complete([], [])
    fine = {"content": None, "tool_calls": [{"id": "c", "function": {"name": "x", "arguments": "not json"}}]}
    assert _CheckedClient(Replying(fine)).complete([], []) == fine


def test_mcp_without_a_workspace(tmp_path):
    _one_line_error(run_auditgame("mcp", str(tmp_path)), "tier.json does not exist", "auditor workspace")


def test_mcp_over_stdio(workspace, tmp_path):
    from mcp import ClientSession, StdioServerParameters, stdio_client

    from auditgame.auditors import tool_names

    work = tmp_path / "work"
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "auditgame.cli.main", "mcp", str(workspace), "--work-dir", str(work), "--backend", "api"],
    )

    async def session_results():
        with anyio.fail_after(120):
            async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                overview = await session.call_tool("list_models", {})
                data = await session.call_tool("cluster_data", {"model": "model-a", "query": "q"})
                return tools, overview.model_dump(by_alias=True), data.model_dump(by_alias=True)

    tools, overview, data = anyio.run(session_results)
    assert [tool.name for tool in tools.tools] == tool_names()
    assert overview["isError"] is False and overview["structuredContent"]["models"] == MODELS
    assert data["isError"] is True and "data access" in data["content"][0]["text"]
    assert (work / "tool_calls.jsonl").is_file()
