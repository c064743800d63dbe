"""`auditgame model ...`: prepare the real pretrained models that ship as packages (offline)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="Real pretrained models, prepared offline from installed packages.", no_args_is_help=True
)


@app.command("list")
def list_models() -> None:
    """The pretrained models this project can prepare, and whether each is prepared."""
    from rich.console import Console
    from rich.table import Table

    from auditgame.artifacts import has_manifest
    from auditgame.model.pretrained import PRETRAINED, pretrained_dir

    table = Table()
    for column in ("name", "package", "prepared", "description"):
        table.add_column(column)
    for name, source in PRETRAINED.items():
        directory = pretrained_dir(name)
        table.add_row(
            name,
            f"{source.distribution} ({source.file_name})",
            str(directory) if has_manifest(directory) else "no",
            source.description,
        )
    Console().print(table)


@app.command("prepare")
def prepare(
    name: str = typer.Argument(
        ..., help="A pretrained model (see `auditgame model list`), e.g. smollm2-135m."
    ),
    layers: int | None = typer.Option(
        None, min=1, help="Keep only the first N decoder layers (a small copy)."
    ),
    force: bool = typer.Option(False, help="Convert again even if a prepared copy exists."),
    cache_dir: Path | None = typer.Option(
        None, help="Cache directory (default $AUDITGAME_CACHE or ~/.cache/auditgame)."
    ),
) -> None:
    """Convert the packaged model into a plain Hugging Face directory in the cache (once; offline)."""
    from auditgame.cli.common import console
    from auditgame.model.pretrained import prepare_pretrained

    try:
        output = prepare_pretrained(name, layers=layers, cache_dir=cache_dir, force=force, log=console.print)
    except ValueError as error:
        from auditgame.errors import ConfigError

        raise ConfigError(str(error), "choose another --layers") from None
    console.print(
        f"{output}  (use it as --base-model {name}{' (full model only)' if layers else ''} or by path)"
    )
