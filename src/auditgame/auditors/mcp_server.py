"""The blind auditor's tools served over the Model Context Protocol (MCP), for agents outside this package.

:func:`build_mcp_server` returns the official SDK's low-level ``Server`` whose tools are exactly the agent's
tools (:data:`~auditgame.auditors.agent_tools.TOOL_SCHEMAS`: same names, descriptions and input schemas),
each call run through :func:`~auditgame.auditors.agent_tools.execute_tool`, so the tier checks are the ones
the in-package agent meets. A call the tier does not grant, an unknown model or tool, or bad arguments
come back as a tool result with ``isError`` set and one line naming the problem and the fix; the server
keeps serving. A valid ``submit`` writes ``submission.json`` into the work directory (a later one replaces
it). Every call is appended to ``tool_calls.jsonl`` there, the MCP counterpart of the agent's transcript.

Works with the SDK's 1.x decorator API and its 2.x constructor API; ``mcp`` is the optional extra ``mcp``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditgame import __version__
from auditgame.auditors.access import ModelAccess
from auditgame.auditors.agent import system_prompt
from auditgame.auditors.agent_tools import TOOL_SCHEMAS, Submitted, execute_tool
from auditgame.auditors.report import write_submission
from auditgame.auditors.tools import AuditTools
from auditgame.auditors.workspace import AuditorError, AuditWorkspace, check_output_dir, default_output_dir
from auditgame.errors import MissingExtraError

MCP_SERVER_NAME = "auditgame"
"""The server name an MCP client sees."""

TOOL_CALLS_FILE = "tool_calls.jsonl"
"""The log of every tool call (one JSON object a line) in the server's work directory."""

BACKENDS = ("auto", "api", "local")
"""The sampling backends (see :func:`auditgame.auditors.access.open_access`)."""

_logger = logging.getLogger(__name__)


def _import_mcp() -> tuple[Any, Any]:
    """The SDK's ``types`` module and low-level ``Server`` class.

    Raises:
        MissingExtraError: if ``mcp`` is not installed.
    """
    try:
        import mcp.types as mcp_types
        from mcp.server.lowlevel import Server
    except ImportError:
        raise MissingExtraError("mcp", "mcp") from None
    return mcp_types, Server


class _ToolRunner:
    """Runs one MCP tool call at a time on :class:`AuditTools` and logs it; never raises."""

    def __init__(self, tools: AuditTools, out_dir: Path, seed: int) -> None:
        self.tools = tools
        self.out_dir = out_dir
        self.seed = seed
        self.calls = 0
        # Local models and search indexes are not made for concurrent use: calls run one after another.
        self._lock = threading.Lock()

    def run(self, name: str, arguments: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
        """``(result, None)`` for a call that worked, ``(None, error line)`` for one that did not."""
        with self._lock:
            self.calls += 1
            result, error = self._execute(name, arguments)
            self._log(
                {"tool": name, "arguments": arguments, **({"error": error} if error else {"result": result})}
            )
            return result, error

    def _execute(self, name: str, arguments: Any) -> tuple[dict[str, Any] | None, str | None]:
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return (
                None,
                f"the arguments of {name} are not a JSON object — pass an object matching its input schema",
            )
        try:
            output = execute_tool(self.tools, name, arguments, seed=self.seed + self.calls)
        except Submitted as submitted:
            path = write_submission(submitted.submission, self.out_dir)
            return {"ok": True, "submission": str(path)}, None
        except Exception as error:  # the server must keep serving whatever a tool does
            _logger.exception("tool %s failed", name)
            return None, _one_line(
                f"{name} failed: {type(error).__name__}: {error} — see the server's log (stderr)"
            )
        if "error" in output:
            message = str(output["error"])
            if message.startswith("bad arguments") and " — " not in message:
                message += f" — check the arguments against the input schema of {name}"
            return None, _one_line(message)
        return output, None

    def _log(self, record: dict[str, Any]) -> None:
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            with (self.out_dir / TOOL_CALLS_FILE).open("a", encoding="utf-8") as log:
                log.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        except OSError:
            _logger.exception("cannot append to %s", self.out_dir / TOOL_CALLS_FILE)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_mcp_server(
    workspace_path: Path | str,
    *,
    work_dir: Path | str | None = None,
    backend: str = "auto",
    access: ModelAccess | None = None,
    seed: int = 0,
) -> Any:
    """An MCP server (the SDK's low-level ``Server``) offering the agent's tools on one auditor workspace.

    Args:
        workspace_path: The auditor workspace (``<game>/auditor``, holding ``tier.json``).
        work_dir: Search indexes, ``submission.json`` and ``tool_calls.jsonl`` go here (default
            ``<workspace>/audits/mcp``; never the game master's directory).
        backend: Sampling backend: ``auto``, ``api`` or ``local``.
        access: A ready sampling backend (overrides ``backend``; tests pass a fake).
        seed: Sampling seed; call ``i`` samples with ``seed + i``.

    Returns:
        The server; serve it with :func:`serve_stdio` or ``server.run(read, write, options)``.

    Raises:
        AuditorError: for a workspace without a valid ``tier.json``, an unknown backend, or a work directory
            inside the game master's directory.
        MissingExtraError: if the ``mcp`` package is not installed.
    """
    mcp_types, Server = _import_mcp()
    space = AuditWorkspace.open(workspace_path)
    if backend not in BACKENDS:
        raise AuditorError(f"unknown backend {backend!r}", f"choose one of: {', '.join(BACKENDS)}")
    out_dir = check_output_dir(
        Path(work_dir) if work_dir is not None else default_output_dir(space, "mcp"), space
    )
    runner = _ToolRunner(AuditTools(space, out_dir, backend=backend, access=access), out_dir, seed)
    instructions = system_prompt(space)
    tools = [
        mcp_types.Tool(
            name=schema["function"]["name"],
            description=schema["function"]["description"],
            inputSchema=json.loads(json.dumps(schema["function"]["parameters"])),
        )
        for schema in TOOL_SCHEMAS
    ]

    async def call(name: str, arguments: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
        import anyio.to_thread

        # Sampling and search block for seconds: off the event loop, so the server still answers pings.
        return await anyio.to_thread.run_sync(runner.run, name, arguments)

    if hasattr(Server, "call_tool"):  # SDK 1.x: handlers are registered with decorators
        return _server_v1(Server, tools, call, instructions)
    return _server_v2(Server, mcp_types, tools, call, instructions)


class _ToolCallError(Exception):
    """Raised inside a 1.x call handler: the SDK turns it into a result with ``isError`` and this message."""


def _server_v1(Server: Any, tools: list[Any], call: Callable[..., Any], instructions: str) -> Any:
    server = Server(MCP_SERVER_NAME, version=__version__, instructions=instructions)

    @server.list_tools()
    async def list_tools() -> list[Any]:
        return tools

    # The tools check their own arguments, with the messages the in-package agent gets.
    @server.call_tool(validate_input=False)
    async def call_tool(name: str, arguments: dict[str, Any] | None) -> dict[str, Any]:
        result, error = await call(name, arguments)
        if error is not None:
            raise _ToolCallError(error)
        return result

    return server


def _server_v2(
    Server: Any, mcp_types: Any, tools: list[Any], call: Callable[..., Any], instructions: str
) -> Any:
    async def on_list_tools(context: Any, params: Any) -> Any:
        return mcp_types.ListToolsResult(tools=tools)

    async def on_call_tool(context: Any, params: Any) -> Any:
        result, error = await call(params.name, params.arguments)
        if error is not None:
            return mcp_types.CallToolResult(
                content=[mcp_types.TextContent(type="text", text=error)], isError=True
            )
        text = json.dumps(result, indent=2, ensure_ascii=False)
        return mcp_types.CallToolResult(
            content=[mcp_types.TextContent(type="text", text=text)], structuredContent=result, isError=False
        )

    return Server(
        MCP_SERVER_NAME,
        version=__version__,
        instructions=instructions,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


def serve_stdio(server: Any) -> None:
    """Serve ``server`` over stdin and stdout until the client closes the connection.

    Raises:
        MissingExtraError: if the ``mcp`` package is not installed.
    """
    try:
        import anyio
        from mcp.server.stdio import stdio_server
    except ImportError:
        raise MissingExtraError("mcp", "mcp") from None

    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(serve)
