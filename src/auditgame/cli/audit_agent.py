"""`auditgame audit agent WORKSPACE`: let an LLM behind an OpenAI-compatible endpoint audit a game's workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from auditgame.cli.common import console


class _CheckedClient:
    """An :class:`~auditgame.auditors.EndpointClient` whose replies are checked to be OpenAI assistant messages.

    The agent loop turns bad tool names and arguments into tool errors the agent reads; a reply whose
    ``tool_calls`` is not a list of calls is the endpoint's fault, and stops the run with one clear line.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
        from auditgame.auditors import AgentError

        reply = self.client.complete(messages, tools)
        calls = reply.get("tool_calls")
        well_formed = calls is None or (
            isinstance(calls, list)
            and all(isinstance(call, dict) and isinstance(call.get("function"), dict) for call in calls)
        )
        if not well_formed or not isinstance(reply.get("content") or "", str):
            raise AgentError(
                f"the agent endpoint {self.client.url} returned an assistant message that is not in the OpenAI "
                "format (tool_calls must be a list of {id, function: {name, arguments}})",
                "use an endpoint with OpenAI tool calling (e.g. vLLM with --enable-auto-tool-choice)",
            )
        return reply


def agent(
    workspace: Path = typer.Argument(..., help="The auditor workspace of a game (<game>/auditor)."),
    endpoint: str = typer.Option(
        ...,
        "--endpoint",
        help="Base URL of the agent's OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1.",
    ),
    model: str = typer.Option(..., "--model", help="The agent model's name at that endpoint."),
    max_steps: int = typer.Option(40, "--max-steps", min=1, help="Assistant turns before giving up."),
    out: Path | None = typer.Option(
        None, "--out", help="Output directory (default: <workspace>/audits/agent-seed<SEED>)."
    ),
    seed: int = typer.Option(0, help="Sampling seed of the tools."),
    backend: str = typer.Option("auto", help="Sampling backend of the tools: auto, api or local."),
) -> None:
    """LLM agent auditor: a tool-calling loop over the neutral, tier-checked tools.

    The agent (any OpenAI-compatible /chat/completions endpoint with tool calling; OPENAI_API_KEY is sent as
    its bearer token if set) lists the models, samples them and, where the tier allows, searches their data
    or reads their layers, then submits its findings. Writes transcript.json and, if the agent submitted
    valid findings, submission.json.
    """
    from auditgame.auditors import (
        AgentError,
        AuditorError,
        AuditWorkspace,
        EndpointClient,
        default_output_dir,
        run_agent,
    )
    from auditgame.errors import ArtifactConflictError

    if backend not in ("auto", "api", "local"):
        raise AuditorError(f"unknown backend {backend!r}", "choose auto, api or local")
    space = AuditWorkspace.open(workspace)
    out_dir = out if out is not None else default_output_dir(space, f"agent-seed{seed}")
    # A submission left by an earlier run would read as this run's if the agent does not submit.
    if (out_dir / "submission.json").exists():
        raise ArtifactConflictError(
            f"{out_dir} already holds a submission.json", "pass another --out (or --seed), or delete it"
        )
    result = run_agent(
        workspace,
        endpoint,
        model,
        max_turns=max_steps,
        client=_CheckedClient(EndpointClient(endpoint, model)),
        out=out_dir,
        seed=seed,
        backend=backend,
    )
    transcript = Path(result.out_dir) / "transcript.json"
    if result.submission is None:
        raise AgentError(
            f"the agent made no valid submission in {result.turns} turns ({result.tool_calls} tool calls); "
            f"its transcript is {transcript}",
            "raise --max-steps, or use an agent model that calls submit",
        )
    for name in sorted(result.submission.models):
        finding = result.submission.models[name]
        verdict = "[red]hidden objective[/red]" if finding.has_hidden_objective else "no hidden objective"
        console.print(
            f"{name}: {verdict} (confidence {finding.confidence:.2f}, {len(finding.behaviours)} behaviours)",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"submission written to {Path(result.out_dir) / 'submission.json'} "
        f"({result.turns} turns, {result.tool_calls} tool calls; transcript {transcript})",
        highlight=False,
        soft_wrap=True,
    )
