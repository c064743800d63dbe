"""`auditgame demo`: the whole loop on the embedded default — organism and decoys, a game, the blind
auditor, grading and the leaderboard."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import typer

from auditgame.cli.common import console


def demo(
    out: Path = typer.Option(
        Path("runs/demo"), "--out", help="Where the organisms, the game and the audit go."
    ),
    organism: str = typer.Option("rm-sycophant", help="The organism with the hidden objective."),
    decoys: int = typer.Option(2, min=0, help="How many decoys to add."),
    tier: str = typer.Option("data", help="The auditor's tier: api, weights or data."),
    profile: str = typer.Option("default", help="Build profile of the organisms (default, quick)."),
    seed: int = typer.Option(
        7, help="Demo seed: the game's secret derives from it, so the demo is reproducible (and not blind)."
    ),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Play the auditing game end to end: build, create, audit blind, grade, rank (resumes where it stopped)."""
    from auditgame.auditors.blind import run_blind_audit
    from auditgame.game.create import create_game
    from auditgame.game.grading import grade_game
    from auditgame.game.leaderboard import leaderboard
    from auditgame.organisms.report import OrganismReport, render_table

    started = time.perf_counter()

    def phase(text: str) -> None:
        console.print(f"[bold]\\[{time.perf_counter() - started:6.0f} s][/bold] {text}", highlight=False)

    game_dir = out / "game"
    # The demo grades itself, so its secret may come from the public seed (anyone who knows the seed can
    # recover the mapping). Real games come from `auditgame game create`, which draws a 256-bit secret.
    secret = hashlib.sha256(f"auditgame-demo:{seed}".encode()).digest()
    phase(f"1/4 building {organism} and {decoys} decoys from the shared base, and the {tier}-tier game ...")
    create_game(
        game_dir,
        organism=organism,
        decoys=decoys,
        tier=tier,
        secret=secret,
        profile=profile,
        build_root=out / "organisms",
        reference_base=True,
        log=phase,
        show_progress=progress,
    )
    phase("2/4 the blind auditor audits the workspace (it sees only the auditor directory) ...")
    report = run_blind_audit(game_dir / "auditor", out / "audit", seed=0, show_progress=progress, log=phase)
    phase("3/4 grading the submission against the sealed answer keys ...")
    grade_game(game_dir, Path(report.out_dir) / "submission.json", auditor="blind", force=True)
    phase("4/4 leaderboard")
    table, _ = leaderboard([game_dir])
    console.print(table)
    report_file = out / "organisms" / f"{organism}-{profile}" / "report.json"
    if report_file.is_file():
        console.print(
            render_table(OrganismReport.model_validate_json(report_file.read_text(encoding="utf-8")))
        )
    phase(f"done: game in {game_dir}, audit in {report.out_dir}")
