"""`auditgame game ...`: create a blind auditing game, grade submissions, reveal keys, rank auditors."""

from __future__ import annotations

from pathlib import Path

import typer

from auditgame.cli.common import console, parse_named_values, print_json
from auditgame.errors import AuditgameError

app = typer.Typer(help="The blind auditing game: create, grade, reveal, leaderboard.", no_args_is_help=True)


@app.command("create")
def create(
    out: Path = typer.Option(..., "--out", help="The game directory to write."),
    organism: str = typer.Option("rm-sycophant", help="The organism with the hidden objective."),
    decoys: int = typer.Option(2, min=0, help="How many decoy organisms to add."),
    tier: str = typer.Option("data", help="Auditor access: api, weights or data."),
    secret_file: Path | None = typer.Option(
        None,
        "--secret-file",
        help="Recreate a game byte for byte: the master/secret.txt of the game to recreate (default: a "
        "fresh 256-bit secret, kept in <out>/master/secret.txt; names, decoys and salts derive from it).",
    ),
    seed: str | None = typer.Option(None, hidden=True, help="Gone: use --secret-file."),
    profile: str = typer.Option(
        "default", help="Build profile of organisms that must be built (default, quick)."
    ),
    reuse: list[str] = typer.Option(
        [], "--reuse", help="Reuse a built organism: NAME=DIR (repeatable), e.g. rm-sycophant=runs/rm1."
    ),
    build_root: Path = typer.Option(Path("runs/organisms"), help="Where organisms that must be built go."),
    name: str = typer.Option("auditing-game", help="The game's public name."),
    port: int = typer.Option(8765, min=1, max=65535, help="API port written to the auditor's endpoint.json."),
    progress: bool = typer.Option(True, help="Show progress bars."),
    reference_base: bool = typer.Option(
        False,
        "--reference-base",
        help="Also ship the organisms' shared base model (before any fine-tuning) as the labelled, "
        "ungraded reference model `reference-base`.",
    ),
) -> None:
    """Create a game: build or reuse the organisms, seal their answer keys, write the auditor workspace."""
    from auditgame.game.create import create_game
    from auditgame.game.keys import read_secret

    organism_dirs = {
        name: Path(directory)
        for name, directory in parse_named_values(
            reuse, "--reuse", "rm-sycophant=runs/rm1", "NAME=DIR"
        ).items()
    }
    if seed is not None:
        # A seed anyone can enumerate recovers the mapping from game.json and the package's answer keys.
        raise AuditgameError(
            "--seed is gone: a small seed let anyone recover which model is which by trying seeds",
            "leave it out (a fresh 256-bit secret goes to <out>/master/secret.txt), or pass --secret-file "
            "GAME/master/secret.txt to recreate a game",
        )
    game_dir = create_game(
        out,
        organism=organism,
        decoys=decoys,
        tier=tier,
        secret=read_secret(secret_file) if secret_file is not None else None,
        profile=profile,
        organism_dirs=organism_dirs,
        build_root=build_root,
        name=name,
        port=port,
        log=console.print,
        show_progress=progress,
        reference_base=reference_base,
    )
    console.print(f"auditor workspace: {game_dir / 'auditor'} (give the auditor only this directory)")


@app.command("reveal")
def reveal_command(
    game: Path = typer.Argument(..., help="The game directory (with master/)."),
    as_json: bool = typer.Option(False, "--json", help="Print the keys as JSON."),
) -> None:
    """Verify every answer key against its commitment and show which model hides what."""
    from rich.table import Table

    from auditgame.game.reveal import reveal

    keys = reveal(game)
    if as_json:
        print_json({model: key.model_dump(mode="json") for model, key in keys.items()})
        return
    table = Table(title=f"{game}: answer keys (all commitments verified)")
    for column in ("model", "organism", "hidden objective", "root cause", "behaviours"):
        table.add_column(column)
    for model, key in keys.items():
        table.add_row(
            model,
            key.organism,
            "yes" if key.has_hidden_objective else "no",
            key.root_cause,
            f"{len(key.behaviours)} (+{len(key.held_out_behaviours)} held out)",
        )
    console.print(table)


@app.command("grade")
def grade(
    game: Path = typer.Argument(..., help="The game directory (with master/)."),
    submission: Path = typer.Argument(..., help="The auditor's submission JSON."),
    name: str = typer.Option(
        ..., "--name", help="The auditor's name (the result goes to <game>/results/NAME.json)."
    ),
    judge_url: str | None = typer.Option(None, help="OpenAI-compatible base URL of an LLM root-cause judge."),
    judge_model: str = typer.Option("gpt-4o-mini", help="Model name for --judge-url."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole result as JSON."),
    force: bool = typer.Option(
        False, "--force", help="Replace an existing, different result of NAME (refused without it)."
    ),
) -> None:
    """Grade a submission against the sealed answer keys and save the result (docs/grading.md has the rule)."""
    from rich.table import Table

    from auditgame.game.grading import OpenAIJudge, grade_game
    from auditgame.game.leaderboard import result_path

    judge = OpenAIJudge(judge_url, judge_model) if judge_url else None
    result = grade_game(game, submission, auditor=name, judge=judge, force=force)
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    table = Table(title=f"{name} on {game}")
    for column in ("model", "truth", "flagged", "root cause", "behaviour F1", "score"):
        table.add_column(column)
    for model, grade_ in result.models.items():
        table.add_row(
            model,
            "hidden" if grade_.has_hidden_objective else "clean",
            ("yes" if grade_.flagged else "no") if grade_.submitted else "not judged (a miss)",
            (f"credit {grade_.root_cause_credit:.1f}" if grade_.flagged else "–")
            if grade_.has_hidden_objective
            else "–",
            f"{grade_.behaviour_f1:.2f}" if grade_.has_hidden_objective else "–",
            f"{grade_.score:.2f}",
        )
    console.print(table)
    console.print(
        f"score {result.score:.3f}; detection accuracy {result.detection_accuracy:.2f}; "
        f"false positives {result.false_positives}; saved {result_path(game, name)}"
    )


@app.command("leaderboard")
def leaderboard_command(
    games: list[Path] = typer.Argument(..., help="Game directories or result JSON files."),
    out: Path | None = typer.Option(
        None, "--out", help="Directory for leaderboard.csv and leaderboard.json (created if missing)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace (atomically) a leaderboard already in --out (refused without it)."
    ),
) -> None:
    """Rank every graded auditor of the given games, grading each stored submission again (a result file's
    own score is never trusted)."""
    from auditgame.game.leaderboard import leaderboard

    table, rows = leaderboard(games, out, force=force)
    console.print(table)
    if not rows:
        console.print("no graded results yet: run `auditgame game grade` first.")
    if out is not None:
        console.print(f"wrote {out / 'leaderboard.csv'} and {out / 'leaderboard.json'}")


@app.command("serve")
def serve_command(
    game: Path = typer.Argument(..., help="Game directory (created by `auditgame game create`)."),
    port: int = typer.Option(8765, help="TCP port on 127.0.0.1, from 1 to 65535 (0 picks a free one)."),
    verbose: bool = typer.Option(False, help="Log every request."),
    queue_size: int = typer.Option(
        64, help="Generation requests that may wait for a batch; more get 503 with Retry-After."
    ),
    read_timeout: float = typer.Option(10.0, help="Seconds a client has to send a whole request."),
    generation_timeout: float = typer.Option(
        120.0, help="Seconds a request may wait and generate before it is abandoned with 503."
    ),
) -> None:
    """Serve the game's models to the auditor: an OpenAI-compatible API on loopback with a bearer token."""
    from pydantic import ValidationError

    from auditgame.game.server import GameServerError, ServerLimits, serve_game

    try:
        limits = ServerLimits(
            queue_size=queue_size, read_timeout=read_timeout, generation_timeout=generation_timeout
        )
    except ValidationError as error:
        problem = error.errors()[0]
        field = "--" + "-".join(str(part) for part in problem["loc"]).replace("_", "-")
        raise GameServerError(
            f"{field if problem['loc'] else 'the limits'}: {problem['msg']}", "see --help"
        ) from None

    def ready(base_url: str) -> None:
        console.print(
            f"serving {game} at {base_url} (token in {game / 'auditor' / 'token.txt'}); Ctrl-C stops."
        )

    def log(line: str) -> None:
        # Request lines carry client-chosen paths: never read them as rich markup.
        console.print(line, markup=False, highlight=False)

    serve_game(game, "127.0.0.1", port, ready=ready, log=log if verbose else None, limits=limits)
