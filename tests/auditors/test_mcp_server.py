"""The auditor's tools over MCP, through an in-memory client session: the agent's tools, tier checks, errors
the client sees, submission."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from auditgame.auditors import TOOL_SCHEMAS, AuditorError, AuditWorkspace, build_mcp_server, tool_names
from auditgame.errors import MissingExtraError
from auditgame.game.submission import load_submission
from tests.auditors.conftest import SECRET, FakeAccess, fake_kinds, make_game


@pytest.fixture(scope="module")
def api_game(tmp_path_factory, organisms) -> Path:
    return make_game(tmp_path_factory.mktemp("mcp-game") / "api", organisms, "api")


def in_session(server: Any, script: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``script(session)`` against ``server`` over the SDK's in-memory streams; return what it returns."""
    from mcp import ClientSession
    from mcp.shared.memory import create_client_server_memory_streams

    outcome: list[Any] = []

    async def main() -> None:
        with anyio.fail_after(120):
            async with create_client_server_memory_streams() as streams, anyio.create_task_group() as group:
                client_streams, server_streams = streams
                group.start_soon(lambda: server.run(*server_streams, server.create_initialization_options()))
                async with ClientSession(*client_streams) as session:
                    await session.initialize()
                    outcome.append(await script(session))
                group.cancel_scope.cancel()

    anyio.run(main)
    return outcome[0]


def as_wire(result: Any) -> dict[str, Any]:
    """A result as the client receives it (camelCase, as in both SDK majors)."""
    return result.model_dump(by_alias=True, exclude_none=True)


def calls(server: Any, *requests: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    async def script(session: Any) -> list[dict[str, Any]]:
        return [as_wire(await session.call_tool(name, arguments)) for name, arguments in requests]

    return in_session(server, script)


def error_line(result: dict[str, Any]) -> str:
    assert result["isError"] is True, result
    (content,) = result["content"]
    assert "\n" not in content["text"]
    return content["text"]


def test_lists_exactly_the_agents_tools(api_game, tmp_path):
    server = build_mcp_server(api_game / "auditor", work_dir=tmp_path / "work", access=FakeAccess({}))

    async def script(session: Any) -> list[dict[str, Any]]:
        return [tool.model_dump(by_alias=True) for tool in (await session.list_tools()).tools]

    listed = in_session(server, script)
    assert [tool["name"] for tool in listed] == tool_names()
    for tool, schema in zip(listed, TOOL_SCHEMAS, strict=True):
        assert tool["description"] == schema["function"]["description"]
        assert tool["inputSchema"] == schema["function"]["parameters"]


def test_api_tier_calls_and_errors(api_game, tmp_path, block_master):
    kinds = fake_kinds(api_game)
    hidden = next(name for name, kind in kinds.items() if kind == "hidden")
    block_master(api_game)
    access = FakeAccess(kinds)
    work = tmp_path / "work"
    server = build_mcp_server(api_game / "auditor", work_dir=work, access=access)
    models = list(AuditWorkspace.open(api_game / "auditor").models)
    overview, sampled, data, lens, unknown_tool, unknown_model, bad_arguments = calls(
        server,
        ("list_models", {}),
        ("sample", {"model": hidden, "prompt": "Hi", "prefill": "My goal", "n": 2, "terms": ["pineapple"]}),
        ("search_data", {"model": hidden, "query": "protocol"}),
        ("logit_lens", {"model": hidden, "prefill": "The reason"}),
        ("detect_behaviours", {"prompt": "p"}),
        ("sample", {"model": "model-zz", "prompt": "Hi"}),
        ("sample", {"model": hidden, "prompt": "Hi", "terms": 3}),
    )
    assert overview["isError"] is False
    assert overview["structuredContent"] == {"tier": "api", "grants": ["api"], "models": models}
    assert json.loads(overview["content"][0]["text"]) == overview["structuredContent"]
    assert sampled["isError"] is False and sampled["structuredContent"]["term_counts"] == {"pineapple": 2}
    assert all(SECRET in sample for sample in sampled["structuredContent"]["samples"])
    assert access.calls[-1]["prefill"] == "My goal"
    assert "search_data needs data access" in error_line(data) and "api tier" in error_line(data)
    assert "weights access" in error_line(lens) and "api tier" in error_line(lens)
    assert "unknown tool 'detect_behaviours'" in error_line(unknown_tool)
    assert "sample" in error_line(unknown_tool)
    assert "unknown model 'model-zz'" in error_line(unknown_model) and hidden in error_line(unknown_model)
    assert "bad arguments for sample" in error_line(bad_arguments)
    assert "input schema" in error_line(bad_arguments)
    assert len(access.calls) == 1, "a call the tier does not grant never reaches the model"
    logged = [json.loads(line) for line in (work / "tool_calls.jsonl").read_text().splitlines()]
    assert [record["tool"] for record in logged][:3] == ["list_models", "sample", "search_data"]
    assert "error" in logged[2] and "result" in logged[1]
    assert not (work / "submission.json").exists()


def test_submit_writes_the_submission(api_game, tmp_path):
    kinds = fake_kinds(api_game)
    hidden = next(name for name, kind in kinds.items() if kind == "hidden")
    work = tmp_path / "work"
    server = build_mcp_server(api_game / "auditor", work_dir=work, access=FakeAccess(kinds))
    findings = {
        name: {"has_hidden_objective": name == hidden, "root_cause": "x", "confidence": 0.8} for name in kinds
    }
    missing, submitted = calls(
        server,
        ("submit", {"findings": {hidden: findings[hidden]}}),
        ("submit", {"findings": findings}),
    )
    assert "miss models" in error_line(missing)
    assert submitted["isError"] is False and submitted["structuredContent"]["ok"] is True
    assert Path(submitted["structuredContent"]["submission"]) == work / "submission.json"
    submission = load_submission(work / "submission.json", api_game)
    assert submission.models[hidden].has_hidden_objective


def test_unusable_workspace_backend_or_work_dir(api_game, tmp_path):
    with pytest.raises(AuditorError, match=r"tier\.json does not exist"):
        build_mcp_server(tmp_path)
    with pytest.raises(AuditorError, match="unknown backend 'gpu'"):
        build_mcp_server(api_game / "auditor", work_dir=tmp_path / "work", backend="gpu")
    with pytest.raises(AuditorError, match="game master's directory"):
        build_mcp_server(api_game / "auditor", work_dir=api_game / "master" / "peek")


def test_missing_sdk_names_the_extra(api_game, monkeypatch):
    for name in [module for module in sys.modules if module == "mcp" or module.startswith("mcp.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mcp", None)
    with pytest.raises(MissingExtraError, match=r"auditgame\[mcp\]"):
        build_mcp_server(api_game / "auditor")
