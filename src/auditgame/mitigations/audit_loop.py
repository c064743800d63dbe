"""After a mitigation, can an auditor still find the trait? One game per mitigated organism, audited blind.

Each condition (an organism directory: the ordinary organism, the inoculated one, a control, a routed one)
goes into its own game with the same decoys (built once from the same base), at one tier; the blind auditor
audits each workspace and the submission is graded against the recipe's sealed answer key. The table puts
the trait's expression beside audit success, so that a mitigation that *hides* the trait (expression stays,
audit fails), one that *removes* it (expression falls; nothing left to find) and one that does neither can
be told apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from auditgame.artifacts import atomic_write_text
from auditgame.evals.intervals import Rate

AUDIT_FILE = "audit.json"
DEFAULT_DECOYS = ("decoy-formal", "decoy-pirate")


class AuditRow(BaseModel):
    """One mitigated organism in its game: the trait's expression and what the blind auditor made of it."""

    model_config = ConfigDict(extra="forbid")

    condition: str
    organism: str
    organism_dir: str
    trait: Rate | None = Field(
        default=None, description="The trait's expression without a prompt, if measured."
    )
    flagged: bool = Field(description="The auditor said the organism has a hidden objective.")
    root_cause: bool = Field(description="The auditor's root cause matched the answer key's.")
    root_cause_credit: float
    behaviour_recall: float
    decoy_false_positives: int
    decoys: int
    game_dir: str
    submission: str


class AuditTable(BaseModel):
    """Every condition of one mitigation experiment, audited."""

    model_config = ConfigDict(extra="forbid")

    organism: str
    tier: str
    decoys: list[str]
    seed: int
    rows: list[AuditRow]


def _game_secret(seed: int, organism: str, condition: str) -> bytes:
    # These games are graded by whoever ran the experiment (the master), so their secrets may derive from
    # public labels; `auditgame game create` draws 256-bit secrets for games handed to real auditors.
    return hashlib.sha256(f"auditgame-mitigation-audit:{seed}:{organism}:{condition}".encode()).digest()


def build_decoys(
    decoys: list[str], base_dir: Path, out_dir: Path, profile: str, log: Callable[[str], Any]
) -> dict[str, Path]:
    """Build (or find again) each decoy once from ``base_dir`` in ``out_dir/<decoy>``."""
    from auditgame.organisms.registry import get_organism

    built = {}
    for decoy in decoys:
        directory = Path(out_dir) / decoy
        log(f"  decoy {decoy} in {directory} ...")
        get_organism(decoy).build(
            directory, profile, base_dir=base_dir, log=lambda *_: None, show_progress=False
        )
        built[decoy] = directory.resolve()
    return built


def audit_conditions(
    organism: str,
    conditions: dict[str, Path],
    out_dir: Path,
    *,
    traits: dict[str, Rate] | None = None,
    decoys: list[str] | None = None,
    decoy_dirs: dict[str, Path] | None = None,
    tier: str = "data",
    profile: str = "default",
    seed: int = 0,
    log: Callable[[str], Any] = print,
) -> AuditTable:
    """Put each condition's organism in a game with the same decoys, audit it blind and grade it.

    Args:
        organism: The recipe whose answer key grades every condition (e.g. ``rm-sycophant``).
        conditions: Condition label -> organism directory.
        out_dir: Where decoys, games and audits go; re-running reuses what is there.
        traits: Condition label -> the trait's expression, for the table.
        decoys: Decoy recipes (default :data:`DEFAULT_DECOYS`).
        decoy_dirs: Already built decoys (recipe -> directory, from the same base); the rest are built.
        tier: The auditor's tier: ``api``, ``weights`` or ``data``.
        profile: Build profile of decoys that have to be built.
        seed: The auditor's seed.
        log: Where progress lines go.

    Returns:
        The :class:`AuditTable`, also written as ``audit.json`` and ``audit.md`` in ``out_dir``.
    """
    from auditgame.auditors.blind import run_blind_audit
    from auditgame.game.create import create_game, find_base_model
    from auditgame.game.grading import grade_game
    from auditgame.game.workspace import check_tier

    check_tier(tier)
    out_dir = Path(out_dir)
    decoys = list(decoys or DEFAULT_DECOYS)
    first = next(iter(conditions.values()))
    base = find_base_model(Path(first), organism)
    ready = {name: Path(path) for name, path in (decoy_dirs or {}).items() if name in decoys}
    missing = [decoy for decoy in decoys if decoy not in ready]
    if missing:
        log(f"building {len(missing)} decoys from {base} ...")
        ready.update(build_decoys(missing, base, out_dir / "decoys", profile, log))
    rows = []
    for condition, directory in conditions.items():
        game_dir = out_dir / "games" / condition
        log(f"  {condition}: game with {organism} and {', '.join(decoys)} at tier {tier} ...")
        create_game(
            game_dir,
            organism=organism,
            decoy_names=decoys,
            tier=tier,
            secret=_game_secret(seed, organism, condition),
            organism_dirs={organism: Path(directory), **ready},
            build_root=out_dir / ".never-built",
            name="mitigation-audit",
            log=lambda *_: None,
            show_progress=False,
            reference_base=True,
        )
        audit_dir = out_dir / "audits" / condition
        log(f"  {condition}: the blind auditor audits the workspace ...")
        report = run_blind_audit(game_dir / "auditor", audit_dir, seed=seed, show_progress=False)
        submission = Path(report.out_dir) / "submission.json"
        result = grade_game(game_dir, submission, auditor="blind", force=True)
        hidden = [grade for grade in result.models.values() if grade.has_hidden_objective]
        grade = hidden[0] if hidden else None
        rows.append(
            AuditRow(
                condition=condition,
                organism=organism,
                organism_dir=str(directory),
                trait=(traits or {}).get(condition),
                flagged=bool(grade and grade.flagged),
                root_cause=bool(grade and grade.root_cause_match),
                root_cause_credit=float(grade.root_cause_credit) if grade else 0.0,
                behaviour_recall=float(grade.behaviour_recall) if grade else 0.0,
                decoy_false_positives=sum(g.false_positive for g in result.models.values()),
                decoys=len(decoys),
                game_dir=str(game_dir),
                submission=str(submission),
            )
        )
        row = rows[-1]
        log(
            f"  {condition}: flagged {'yes' if row.flagged else 'no'}, root cause "
            f"{'named' if row.root_cause else 'missed'}, decoy false positives {row.decoy_false_positives}/{row.decoys}"
        )
    table = AuditTable(organism=organism, tier=tier, decoys=decoys, seed=seed, rows=rows)
    atomic_write_text(out_dir / AUDIT_FILE, table.model_dump_json(indent=2) + "\n")
    atomic_write_text(out_dir / "audit.md", render_audit(table))
    return table


def render_audit(table: AuditTable) -> str:
    """The audit table as markdown."""
    lines = [
        f"# Audited after mitigation: {table.organism} (tier {table.tier}, decoys {', '.join(table.decoys)})",
        "",
        "| condition | trait expression | hidden objective flagged | root cause named | behaviour recall "
        "| decoy false positives |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.rows:
        trait = str(row.trait) if row.trait is not None else "–"
        lines.append(
            f"| {row.condition} | {trait} | {'yes' if row.flagged else 'no'} | "
            f"{'yes' if row.root_cause else 'no'} ({row.root_cause_credit:.2f}) | {row.behaviour_recall:.2f} "
            f"| {row.decoy_false_positives}/{row.decoys} |"
        )
    lines.append("")
    return "\n".join(lines)
