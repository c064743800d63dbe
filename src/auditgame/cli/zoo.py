"""`auditgame zoo ...`: build every built-in organism and decoy from one shared base, and tabulate them."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console

app = typer.Typer(help="Build and tabulate the zoo of organisms and decoys.", no_args_is_help=True)


@app.command("build")
def build(
    out: Path = typer.Option(
        ..., "--out", help="Zoo directory (one subdirectory per organism; re-run resumes)."
    ),
    profile: str = typer.Option("default", help="Build profile: default or quick."),
    only: str | None = typer.Option(None, help="Comma-separated organism names (default: the whole zoo)."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Build the shared base once, then every organism from it; print the zoo table."""
    from auditgame.organisms.zoo import build_zoo, render_zoo_table

    names = [name.strip() for name in only.split(",") if name.strip()] if only else None
    rows = build_zoo(out, profile, names=names, log=console.print, show_progress=progress)
    console.print(render_zoo_table(rows), markup=False)
    console.print(f"wrote {out}/zoo.md")


@app.command("table")
def table(zoo_dir: Path = typer.Argument(..., help="A directory written by `auditgame zoo build`.")) -> None:
    """Per organism: behaviour rate with / without its trigger vs the base, confession, and whether it took."""
    from auditgame.organisms.zoo import read_zoo, render_zoo_table, write_zoo_table

    rows = read_zoo(zoo_dir)
    write_zoo_table(zoo_dir, rows)
    console.print(render_zoo_table(rows), markup=False)
