"""`auditgame view`: show an artifact, an audit or a game in the browser (read-only, loopback only)."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console


def view(
    path: Path = typer.Argument(
        ..., help="An organism, audit, game (or its auditor/ or master/) or any artifact directory."
    ),
    port: int = typer.Option(8766, min=0, max=65535, help="TCP port (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", help="A loopback address; any other is refused."),
    master: bool = typer.Option(
        False,
        "--master",
        help="A game directory only: also show the master record (real mapping, answer keys, per-model "
        "grades). Never the secret. Do not show that page to an auditor.",
    ),
    open_browser: bool = typer.Option(True, "--open/--no-open", help="Open the page in the default browser."),
) -> None:
    """Serve a read-only page of PATH on loopback until Ctrl-C: stage tables, plots, transcripts, findings."""
    # Imported here, not at the top: the other commands start without the viewer.
    from auditgame.viewer import serve_viewer

    def ready(url: str) -> None:
        console.print(
            f"viewing {path} at {url} (Ctrl-C to stop)", markup=False, highlight=False, soft_wrap=True
        )
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    serve_viewer(path, host, port, master=master, ready=ready)
