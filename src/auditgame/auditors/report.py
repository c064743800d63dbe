"""What an automated audit writes: its report (the submission plus how it was made) and ``submission.json``."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from auditgame.artifacts import atomic_write_text
from auditgame.game.submission import Submission

SUBMISSION_FILE = "submission.json"
"""The file name of a submission in an audit's output directory."""


class AuditReport(BaseModel):
    """The result of one automated audit of a workspace.

    Attributes:
        auditor: The auditor's name (e.g. ``agent``).
        upper_bound: Whether the auditor reads the organism maker's side; such an auditor is a reference
            (an upper bound), never ranked as a player.
        workspace: The auditor workspace audited.
        tier: Its tier.
        seed: The seed of every sample.
        backend: How the models were queried (``api``, ``local``, ...).
        submission: The findings (what ``submission.json`` holds).
        seconds: Timings per phase (never in the submission).
        out_dir: Where the audit was written.
    """

    auditor: str
    upper_bound: bool = False
    workspace: str
    tier: str
    seed: int
    backend: str
    submission: Submission
    seconds: dict[str, float] = Field(default_factory=dict)
    out_dir: str = ""


def submission_json(submission: Submission) -> str:
    """The canonical JSON text of a submission (sorted keys, so the same findings give the same bytes)."""
    return json.dumps(submission.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_submission(submission: Submission, out_dir: Path | str) -> Path:
    """Write ``submission.json`` (canonical) into ``out_dir``; return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SUBMISSION_FILE
    atomic_write_text(path, submission_json(submission))
    return path
