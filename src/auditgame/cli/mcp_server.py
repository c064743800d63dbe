"""`auditgame mcp WORKSPACE`: serve the blind auditor's tools to an outside agent over MCP (stdio)."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import error_console


def mcp(
    workspace: Path = typer.Argument(..., help="The auditor workspace of a game (<game>/auditor)."),
    work_dir: Path | None = typer.Option(
        None,
        "--work-dir",
        help="Search indexes, submission.json and tool_calls.jsonl (default: <workspace>/audits/mcp).",
    ),
    backend: str = typer.Option("auto", help="Sampling backend of the tools: auto, api or local."),
    seed: int = typer.Option(0, help="Sampling seed of the tools."),
) -> None:
    """Serve the agent's tools (list_models, sample, search_data, cluster_data, logit_lens, submit) over MCP.

    Speaks MCP on stdin/stdout: point an MCP client (Claude Desktop, an agent framework) at this command.
    The tools are checked against the workspace's tier; a valid submit writes submission.json to the work
    directory. Needs the optional extra: pip install 'auditgame[mcp]'.
    """
    from auditgame.auditors import build_mcp_server, serve_stdio

    server = build_mcp_server(workspace, work_dir=work_dir, backend=backend, seed=seed)
    # stdout carries the protocol: anything for people goes to stderr.
    error_console.print(
        f"auditgame: serving the auditor tools of {workspace} over MCP (stdio)",
        highlight=False,
        soft_wrap=True,
    )
    serve_stdio(server)
